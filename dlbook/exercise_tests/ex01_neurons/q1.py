OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _p = softmax(torch.tensor([1.0, 2.0, 3.0]))\n'
                                               ">>> assert isinstance(_p, torch.Tensor), f'softmax should return a tensor, got {type(_p).__name__}'\n"
                                               ">>> assert torch.allclose(_p, torch.tensor([0.09, 0.2447, 0.6652]), atol=0.0001), f'got {_p}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0},
                                   {   'code': '>>> import torch\n'
                                               '>>> _p = softmax(torch.tensor([1000.0, 1000.0]))\n'
                                               ">>> assert not torch.isnan(_p).any(), 'softmax([1000, 1000]) gave nan: subtract the maximum first'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0},
                                   {   'code': '>>> import torch\n'
                                               '>>> _z = torch.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])\n'
                                               '>>> try:\n'
                                               '...     _p = softmax(_z, dim=-1)\n'
                                               '... except RuntimeError as _err:\n'
                                               "...     raise AssertionError(f'softmax of a (2, 3) tensor failed ({_err}): keep the reduced dimension (amax and sum with keepdim=True) so that it "
                                               "broadcasts') from None\n"
                                               ">>> assert torch.allclose(_p.sum(dim=-1), torch.ones(2), atol=1e-05), f'the rows of softmax(z, dim=-1) sum to {_p.sum(dim=-1).tolist()}: divide by the "
                                               "sum along dim (keepdim=True), not by the sum of the whole tensor'\n"
                                               '>>> _q = softmax(_z, dim=0)\n'
                                               ">>> assert torch.allclose(_q.sum(dim=0), torch.ones(3), atol=1e-05), 'softmax(z, dim=0) must make every column sum to 1: use the dim argument in amax "
                                               "and sum, not a fixed -1'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
