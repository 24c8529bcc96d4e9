OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _w = torch.tensor([2.0, -1.0, 0.5, -3.0], dtype=torch.float64)\n'
                                               '>>> _xx = torch.tensor([0.95, 0.5, 0.0, 0.05], dtype=torch.float64)\n'
                                               '>>> _v = max_linear_increase(_w, _xx, 0.1)\n'
                                               ">>> assert isinstance(_v, float), f'return a Python float (float(...)), got {type(_v).__name__}'\n"
                                               ">>> assert abs(_v - 0.65) > 1e-06, 'the box [0, 1] limits each pixel too: a pixel at 0.95 can rise by 0.05 only, a pixel at 0 cannot fall'\n"
                                               ">>> assert abs(_v - 0.1 * float(_w.norm())) > 1e-06, 'the L-inf ball lets every pixel move by eps at once: the bound is a sum over the pixels (eps * "
                                               "w.abs().sum() without the box), not eps * w.norm() (the L2 norm)'\n"
                                               ">>> assert abs(_v + 0.25) > 1e-06 and abs(_v - 0.15) > 1e-06, 'a pixel with a negative weight raises the score by moving down: every pixel moves the "
                                               "way its weight pays'\n"
                                               ">>> assert abs(_v - 0.6) > 1e-06, 'a pixel can rise by at most min(eps, 1 - x) and fall by at most min(eps, x), not the other way round'\n"
                                               ">>> assert abs(_v - 0.4) < 1e-06, f'expected 0.4 here (2 * 0.05 + 1 * 0.1 + 0.5 * 0.1 + 3 * 0.05), got {_v}'\n"
                                               '>>> _lin = torch.nn.Linear(4, 1, bias=False).double()\n'
                                               '>>> _ = _lin.weight.data.copy_(_w[None])\n'
                                               '>>> _xr = _xx[None].clone().requires_grad_(True)\n'
                                               '>>> _xf = (_xx + 0.1 * torch.autograd.grad(_lin(_xr).sum(), _xr)[0][0].sign()).clamp(0, 1)\n'
                                               ">>> assert abs(float(_w @ (_xf - _xx)) - _v) < 1e-06, 'FGSM with clipping attains the maximum for a linear score: your value should equal w . (x_fgsm "
                                               "- x)'\n"
                                               ">>> assert isinstance(digit_increase, float), f'digit_increase should be a float, got {type(digit_increase).__name__}'\n"
                                               ">>> assert abs(digit_increase - max_linear_increase(w_digit, x_digit, 0.1)) < 1e-06, 'digit_increase should be max_linear_increase(w_digit, x_digit, "
                                               "0.1)'\n"
                                               '>>> assert digit_increase < 0.1 * float(w_digit.abs().sum()), "with the box, the increase is below eps * w_digit.abs().sum(): the 8\'s background '
                                               'pixels (at 0) cannot go down"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
