OK_FORMAT = True

test = {   'name': 'q1',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _p = softmax_t(torch.tensor([2.0, 0.0]), 2.0)\n'
                                               ">>> assert isinstance(_p, torch.Tensor) and _p.shape == (2,), f'expected a tensor of shape (2,), got {_p}'\n"
                                               ">>> assert torch.allclose(_p, torch.tensor([0.7311, 0.2689]), atol=0.0001), f'softmax([1, 0]) is [0.7311, 0.2689], got {_p}'\n"
                                               ">>> assert torch.isfinite(softmax_t(torch.tensor([1000.0, 0.0]), 1.0)).all(), 'subtract the maximum before exp'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
