OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> from dlbook import diffusion as dm\n'
                                               '>>> _b = torch.tensor([0.1, 0.2, 0.3, 0.5], dtype=torch.float64)\n'
                                               '>>> _e = torch.tensor([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]], dtype=torch.float64)\n'
                                               '>>> _xt = torch.tensor([[1.0, 0.4], [-0.6, 1.1], [0.2, -1.3]], dtype=torch.float64)\n'
                                               '>>> _z = torch.tensor([[0.7, 0.1], [-1.2, 0.5], [0.3, 0.9]], dtype=torch.float64)\n'
                                               '>>> _y = ddpm_step(_e, _xt, 2, _z, _b)\n'
                                               '>>> assert isinstance(_y, torch.Tensor) and _y.shape == (3, 2), f"return a tensor of x_t\'s shape (3, 2), got {getattr(_y, \'shape\', _y)}"\n'
                                               '>>> _ab = torch.cumprod(1 - _b, 0)\n'
                                               '>>> _abp = torch.cat([torch.ones(1, dtype=torch.float64), _ab[:-1]])\n'
                                               '>>> _vt = (1 - _abp) / (1 - _ab) * _b\n'
                                               '>>> _mean = lambda i, s=True, d=None: (_xt - _b[i] / ((1 - _ab[i]).sqrt() if s else 1 - _ab[i]) * _e) / (d if d is not None else (1 - _b[i]).sqrt())\n'
                                               '>>> _near = lambda v: bool(torch.allclose(_y.double(), v, atol=1e-06))\n'
                                               '>>> _x0_as_eps = _abp[2].sqrt() * _b[2] / (1 - _ab[2]) * _e + (1 - _b[2]).sqrt() * (1 - _abp[2]) / (1 - _ab[2]) * _xt\n'
                                               ">>> assert not _near(_x0_as_eps + _vt[2].sqrt() * _z), 'eps is the predicted noise, not the predicted x0: the mean is (x_t - beta_t / sqrt(1 - "
                                               "alpha_bar_t) eps) / sqrt(alpha_t)'\n"
                                               ">>> assert not _near(_mean(2, s=False) + _vt[2].sqrt() * _z), 'the noise term is beta_t / sqrt(1 - alpha_bar_t) eps: you left out the square root of 1 "
                                               "- alpha_bar_t'\n"
                                               ">>> assert not _near(_mean(2, d=_ab[2].sqrt()) + _vt[2].sqrt() * _z), 'divide by sqrt(alpha_t), the one-step alpha = 1 - beta_t, not by "
                                               "sqrt(alpha_bar_t)'\n"
                                               ">>> assert not _near(_mean(2) + _vt[2] * _z), 'scale the noise by the standard deviation sigma_t (the square root of the variance), not by the "
                                               "variance'\n"
                                               ">>> assert not _near(_mean(1) + _vt[1].sqrt() * _z), 'off by one in t: t is 0-based, so step t uses betas[t] and alpha_bar[t], not index t - 1'\n"
                                               '>>> assert not _near(_mean(2) + _b[2].sqrt() * _z), "the default variance=\'posterior\' is beta-tilde_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) '
                                               'beta_t, not beta_t"\n'
                                               '>>> _ref = dm.ddpm_step(dm.DDPMSchedule(_b), _e, _xt, 2, _z)\n'
                                               ">>> assert _near(_ref), f'expected {_ref.tolist()}, got {_y.tolist()}'\n"
                                               ">>> _y = ddpm_step(_e, _xt, 2, _z, _b, variance='beta')\n"
                                               '>>> assert not _near(_mean(2) + _vt[2].sqrt() * _z), "variance=\'beta\' means sigma_t^2 = beta_t: read the variance argument"\n'
                                               ">>> _ref = dm.ddpm_step(dm.DDPMSchedule(_b), _e, _xt, 2, _z, variance='beta')\n"
                                               '>>> assert _near(_ref), f"with variance=\'beta\' expected {_ref.tolist()}, got {_y.tolist()}"\n'
                                               ">>> _y = ddpm_step(_e, _xt, 0, _z, _b, variance='beta')\n"
                                               ">>> assert not _near(_mean(0) + _b[0].sqrt() * _z), 'no noise at the last step: at t = 0 return the mean (the sample is final)'\n"
                                               ">>> assert _near(_mean(0)), f'at t = 0 the step returns the mean {_mean(0).tolist()}, got {_y.tolist()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
