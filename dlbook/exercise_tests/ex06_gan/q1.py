OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> _zero = torch.zeros(4)\n'
                                               '>>> _l = d_loss(_zero, _zero)\n'
                                               ">>> assert isinstance(_l, torch.Tensor) and _l.dim() == 0, f'd_loss should return a 0-dim tensor, got {_l!r}'\n"
                                               '>>> assert abs(_l.item() - 8 * math.log(2)) > 1e-05, "d_loss is 4x too large for a batch of 4: average over the batch (.mean()), don\'t sum"\n'
                                               ">>> assert abs(_l.item() - 2 * math.log(2)) < 1e-05, f'with D = 1/2 everywhere d_loss is 2 log 2, got {_l.item()}'\n"
                                               ">>> assert abs(g_loss_saturating(_zero).item() - math.log(2)) > 1e-05, 'the saturating loss is mean log(1 - D(G(z))), which is negative (log(1/2) "
                                               "here), not its negative'\n"
                                               ">>> assert abs(g_loss_saturating(_zero).item() + math.log(2)) < 1e-05, 'with D(G(z)) = 1/2 the saturating loss is log(1/2)'\n"
                                               ">>> assert abs(g_loss_non_saturating(_zero).item() - math.log(2)) < 1e-05, 'with D(G(z)) = 1/2 the non-saturating loss is log 2'\n"
                                               '>>> _big = torch.tensor([100.0, -100.0])\n'
                                               '>>> _vals = [float(d_loss(_big, _big)), float(g_loss_saturating(_big)), float(g_loss_non_saturating(_big))]\n'
                                               ">>> assert all((math.isfinite(_v) for _v in _vals)), f'for logits of +-100 the losses are {_vals}: log(sigmoid(a)) underflows; use log sigma(a) = "
                                               "-softplus(-a) and log(1 - sigma(a)) = -softplus(a)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
