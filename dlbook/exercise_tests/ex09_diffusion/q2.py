OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> from dlbook import diffusion as dm\n'
                                               '>>> _b = torch.tensor([0.1, 0.2, 0.5], dtype=torch.float64)\n'
                                               '>>> _x0 = torch.tensor([[1.0, -2.0], [0.5, 1.5], [2.0, 1.0], [-1.0, 0.5]], dtype=torch.float64)\n'
                                               '>>> _xt = torch.tensor([[0.3, -0.7], [1.2, 0.4], [-0.5, 0.9], [0.8, -1.1]], dtype=torch.float64)\n'
                                               '>>> _t = torch.tensor([1, 2, 0, 2])\n'
                                               '>>> _out = posterior_mean_variance(_x0, _xt, _t, _b)\n'
                                               ">>> assert isinstance(_out, tuple) and len(_out) == 2, f'return a tuple (mean, variance), got {type(_out).__name__}'\n"
                                               '>>> _m, _v = _out\n'
                                               '>>> assert isinstance(_m, torch.Tensor) and _m.shape == (4, 2), f"the mean has the shape of x_t (4, 2), got {getattr(_m, \'shape\', _m)}"\n'
                                               '>>> assert isinstance(_v, torch.Tensor) and _v.shape == (4, 1), f"the variance is one number per row, shape (4, 1), got {getattr(_v, \'shape\', _v)}"\n'
                                               '>>> _a = 1 - _b\n'
                                               '>>> _ab = torch.cumprod(_a, 0)\n'
                                               '>>> _abp = torch.cat([torch.ones(1, dtype=torch.float64), _ab[:-1]])\n'
                                               '>>> def _mean(ab, abp, a, b, swap=False, sqrt_a=True):\n'
                                               '...     c0 = (abp.sqrt() * b / (1 - ab))[_t][:, None]\n'
                                               '...     ct = ((a.sqrt() if sqrt_a else a) * (1 - abp) / (1 - ab))[_t][:, None]\n'
                                               '...     return ct * _x0 + c0 * _xt if swap else c0 * _x0 + ct * _xt\n'
                                               '>>> _near = lambda x, v: bool(torch.allclose(x.double(), v, atol=1e-06))\n'
                                               '>>> _ap = torch.cat([torch.ones(1, dtype=torch.float64), _a[:-1]])\n'
                                               ">>> assert not _near(_m, _mean(_a, _ap, _a, _b)), 'the coefficients use the cumulative alpha_bar_t and alpha_bar_{t-1} (products over all steps so "
                                               "far), not the one-step alpha_t and alpha_{t-1}'\n"
                                               ">>> assert not _near(_m, _mean(_ab, _abp, _a, _b, swap=True)), 'the coefficients of x0 and x_t are swapped: x0 gets sqrt(alpha_bar_{t-1}) beta_t / (1 "
                                               "- alpha_bar_t), x_t gets sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)'\n"
                                               ">>> assert not _near(_m, _mean(_ab, _abp, _a, _b, sqrt_a=False)), 'the coefficient of x_t has sqrt(alpha_t), not alpha_t'\n"
                                               ">>> assert not _near(_m, _mean(_ab, _ab[_t.new_tensor([2, 0, 1])], _a, _b)), 'at t = 0, alpha_bar_{t-1} is 1 (the clean data): alpha_bar[t - 1] wraps "
                                               "around to the last step; prepend a 1 (alpha_bars_prev = cat([1], alpha_bars[:-1]))'\n"
                                               ">>> assert _near(_m[2], _x0[2]), f'at t = 0 the step before is the clean data: the mean is x0 {_x0[2].tolist()}, got {_m[2].tolist()}'\n"
                                               '>>> _ref_m, _ref_v = dm.DDPMSchedule(_b).posterior_mean_variance(_x0[[0, 1, 3]], _xt[[0, 1, 3]], _t[[0, 1, 3]])\n'
                                               ">>> assert _near(_m[[0, 1, 3]], _ref_m), f'expected the means {_ref_m.tolist()} at t = 1, 2, 2, got {_m[[0, 1, 3]].tolist()}'\n"
                                               ">>> assert not _near(_v, _b[_t][:, None]), 'the posterior variance is beta-tilde_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) beta_t, not beta_t'\n"
                                               ">>> assert abs(float(_v[2])) < 1e-12, f'at t = 0 the variance is 0 (x_{{t-1}} is x0 itself), got {float(_v[2])}'\n"
                                               ">>> assert _near(_v[[0, 1, 3]], _ref_v), f'expected the variances {_ref_v.flatten().tolist()}, got {_v[[0, 1, 3]].flatten().tolist()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
