OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> _l = cross_entropy(torch.tensor([[2.0, 0.0, 0.0]]), torch.tensor([0]))\n'
                                               ">>> assert isinstance(_l, torch.Tensor), f'cross_entropy should return a tensor, got {type(_l).__name__}'\n"
                                               ">>> assert abs(float(_l) - (math.log(math.exp(2) + 2) - 2)) < 1e-05, f'got {float(_l)}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0},
                                   {   'code': '>>> import torch\n'
                                               '>>> import torch.nn.functional as F\n'
                                               '>>> _z = torch.randn(8, 3, generator=torch.Generator().manual_seed(0))\n'
                                               '>>> _y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])\n'
                                               '>>> _l, _ref = (float(cross_entropy(_z, _y)), float(F.cross_entropy(_z, _y)))\n'
                                               '>>> assert abs(_l - 8 * _ref) > 0.0001, "your loss is 8x too large for a batch of 8: average over the batch (.mean()), don\'t sum"\n'
                                               ">>> assert abs(_l - float(-F.log_softmax(_z, dim=1)[:, _y].mean())) > 0.0001, 'pick one log-probability per row, log_probs[n, y_n] (gather, or "
                                               "indexing with torch.arange(N)), not log_probs[:, y], which takes every label for every row'\n"
                                               ">>> assert abs(_l - _ref) < 0.0001, f'cross_entropy on a batch of 8 should be {_ref:.4f}, got {_l:.4f}'\n"
                                               '>>> _big = cross_entropy(torch.tensor([[1000.0, 0.0], [0.0, 1000.0]]), torch.tensor([0, 0]))\n'
                                               ">>> assert torch.isfinite(_big), 'cross_entropy of logits around 1000 is not finite: subtract the row maximum m before exp, log softmax(z) = z - m - "
                                               "log(sum(exp(z - m)))'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
