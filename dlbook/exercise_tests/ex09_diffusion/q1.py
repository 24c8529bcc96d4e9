OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> from dlbook import diffusion as dm\n'
                                               '>>> _b = torch.tensor([0.1, 0.2, 0.5], dtype=torch.float64)\n'
                                               '>>> _x0 = torch.tensor([[1.0, -2.0], [0.5, 1.5], [2.0, 1.0], [-1.0, 0.5]], dtype=torch.float64)\n'
                                               '>>> _t = torch.tensor([0, 1, 2, 1])\n'
                                               '>>> _n = torch.tensor([[0.3, -0.7], [1.2, 0.4], [-0.5, 0.9], [0.8, -1.1]], dtype=torch.float64)\n'
                                               '>>> _y = q_sample(_x0, _t, _n, _b)\n'
                                               '>>> assert isinstance(_y, torch.Tensor) and _y.shape == (4, 2), f"return a tensor of x0\'s shape (4, 2), got {getattr(_y, \'shape\', _y)}"\n'
                                               '>>> _ab = torch.cumprod(1 - _b, 0)\n'
                                               '>>> _f = lambda a: a.sqrt()[:, None] * _x0 + (1 - a).sqrt()[:, None] * _n\n'
                                               '>>> _near = lambda v: bool(torch.allclose(_y.double(), v, atol=1e-06))\n'
                                               ">>> assert not _near(_f(_b[_t])), 'you used beta_t where alpha_bar_t goes: x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise, with alpha_bar_t "
                                               "= prod_{s <= t} (1 - beta_s)'\n"
                                               ">>> assert not _near(_f(1 - _b[_t])), 'you used alpha_t = 1 - beta_t, one step of noise: x_t needs alpha_bar_t, the cumulative product of the alphas "
                                               "up to t (torch.cumprod)'\n"
                                               ">>> assert not _near(_f(_ab[_t - 1])), 'off by one in t: t is 0-based, so step t uses alpha_bar[t] = cumprod(1 - betas)[t] (at t = 0 one step of noise "
                                               "has been added), not alpha_bar[t - 1]'\n"
                                               ">>> assert not _near(_ab[_t][:, None] * _x0 + (1 - _ab[_t])[:, None] * _n), 'the coefficients are square roots: sqrt(alpha_bar_t) x0 + sqrt(1 - "
                                               "alpha_bar_t) noise (the variances add up to 1, not the coefficients)'\n"
                                               '>>> _ref = dm.DDPMSchedule(_b).q_sample(_x0, _t, _n)\n'
                                               ">>> assert _near(_ref), f'expected {_ref.tolist()}, got {_y.tolist()}'\n"
                                               '>>> assert q_sample(_x0.float(), _t, _n.float(), _b).dtype == torch.float32, "return x_t in x0\'s dtype (float32 data stays float32)"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
