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
                                               '>>> _real, _fake = (torch.tensor([2.0, -1.0]), torch.tensor([0.5, 1.0, -3.0]))\n'
                                               '>>> _v = d_loss(_real, _fake).item()\n'
                                               ">>> assert abs(_v - 2.4987) > 0.001, 'you swapped the terms: the real logits go into log D = -softplus(-a), the fake ones into log(1 - D) = "
                                               "-softplus(a)'\n"
                                               ">>> assert abs(_v - 1.4987) < 0.001, f'd_loss([2, -1], [0.5, 1, -3]) is 1.4987, got {_v:.4f}'\n"
                                               '>>> _v = g_loss_non_saturating(_fake).item()\n'
                                               ">>> assert abs(_v - 0.7786) > 0.001, 'the non-saturating loss is -mean log D(G(z)) = mean softplus(-a), not -mean log(1 - D(G(z)))'\n"
                                               ">>> assert abs(_v - 1.2786) < 0.001, f'g_loss_non_saturating([0.5, 1, -3]) is 1.2786, got {_v:.4f}'\n"
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
