OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> from dlbook import diffusion as dm\n'
                                               '>>> _b = torch.tensor([0.1, 0.2, 0.3, 0.5], dtype=torch.float64)\n'
                                               '>>> _e = torch.tensor([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]], dtype=torch.float64)\n'
                                               '>>> _xt = torch.tensor([[1.0, 0.4], [-0.6, 1.1], [0.2, -1.3]], dtype=torch.float64)\n'
                                               '>>> _y = ddim_step(_e, _xt, 3, 1, _b)\n'
                                               '>>> assert isinstance(_y, torch.Tensor) and _y.shape == (3, 2), f"return a tensor of x_t\'s shape (3, 2), got {getattr(_y, \'shape\', _y)}"\n'
                                               '>>> _ab = torch.cumprod(1 - _b, 0)\n'
                                               '>>> _x0 = lambda sign=-1: (_xt + sign * (1 - _ab[3]).sqrt() * _e) / _ab[3].sqrt()\n'
                                               '>>> _go = lambda abp, x0, sign=1: abp.sqrt() * x0 + sign * (1 - abp).sqrt() * _e\n'
                                               '>>> _near = lambda v: bool(torch.allclose(_y.double(), v, atol=1e-06))\n'
                                               ">>> assert not _near(_go(_ab[1], _x0(+1))), 'sign error in x0_hat: x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t), the noise is "
                                               "subtracted'\n"
                                               ">>> assert not _near(_go(_ab[1], _x0(), -1)), 'sign error in the update: x_prev = sqrt(alpha_bar_prev) x0_hat + sqrt(1 - alpha_bar_prev) eps, the "
                                               "predicted noise is added back'\n"
                                               ">>> assert not _near(_go(_ab[2], _x0())), 'go to step t_prev, not t - 1: DDIM skips steps, x_prev uses alpha_bar[t_prev]'\n"
                                               ">>> assert not _near(_ab[1] * (_xt - (1 - _ab[3]) * _e) / _ab[3] + (1 - _ab[1]) * _e), 'the coefficients are square roots: sqrt(alpha_bar_prev) x0_hat "
                                               "+ sqrt(1 - alpha_bar_prev) eps'\n"
                                               '>>> _ref = dm.ddim_step(dm.DDPMSchedule(_b), _e, _xt, 3, 1)\n'
                                               ">>> assert _near(_ref), f'expected {_ref.tolist()}, got {_y.tolist()}'\n"
                                               '>>> _y = ddim_step(_e, _xt, 3, -1, _b)\n'
                                               ">>> assert not _near(_go(_ab[-1], _x0())), 't_prev = -1 means the clean data, alpha_bar = 1 (the step returns x0_hat): alpha_bars[-1] is the last "
                                               "step, not the data'\n"
                                               ">>> assert _near(_x0()), f'with t_prev = -1 the step returns x0_hat {_x0().tolist()}, got {_y.tolist()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
