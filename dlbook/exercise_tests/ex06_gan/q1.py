OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> _zero = torch.zeros(4)\n'
                                               '>>> _l = d_loss(_zero, _zero)\n'
                                               ">>> assert isinstance(_l, torch.Tensor) and _l.dim() == 0, f'd_loss should return a 0-dim tensor, got {_l!r}'\n"
                                               ">>> assert abs(_l.item() - 2 * math.log(2)) < 1e-05, f'with D = 1/2 everywhere d_loss is 2 log 2, got {_l.item()}'\n"
                                               ">>> assert abs(g_loss_saturating(_zero).item() + math.log(2)) < 1e-05, 'with D(G(z)) = 1/2 the saturating loss is log(1/2)'\n"
                                               ">>> assert abs(g_loss_non_saturating(_zero).item() - math.log(2)) < 1e-05, 'with D(G(z)) = 1/2 the non-saturating loss is log 2'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
