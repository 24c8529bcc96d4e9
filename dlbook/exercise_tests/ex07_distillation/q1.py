OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _p = softmax_t(torch.tensor([2.0, 0.0]), 2.0)\n'
                                               ">>> assert isinstance(_p, torch.Tensor) and _p.shape == (2,), f'expected a tensor of shape (2,), got {_p}'\n"
                                               ">>> assert not torch.allclose(_p, torch.tensor([0.982, 0.018]), atol=0.0001), 'you computed softmax(z * T): divide the logits by T, softmax(z / T)'\n"
                                               ">>> assert torch.allclose(_p, torch.tensor([0.7311, 0.2689]), atol=0.0001), f'softmax([2, 0] / 2) = softmax([1, 0]) is [0.7311, 0.2689], got {_p}'\n"
                                               '>>> _P = softmax_t(torch.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 5.0]]), 1.5)\n'
                                               ">>> assert _P.shape == (2, 3) and torch.allclose(_P.sum(-1), torch.ones(2)), f'take the softmax along the last dimension (the classes): each row must "
                                               "sum to 1, got row sums {[round(v, 4) for v in _P.sum(-1).tolist()]}'\n"
                                               ">>> assert torch.isfinite(softmax_t(torch.tensor([1000.0, 0.0]), 1.0)).all(), 'exp(1000) overflows: subtract the maximum first'\n"
                                               '>>> for _T in (0.0, -1.0):\n'
                                               '...     try:\n'
                                               '...         _ = softmax_t(torch.tensor([1.0, 0.0]), _T)\n'
                                               '...     except ValueError:\n'
                                               '...         pass\n'
                                               '...     else:\n'
                                               "...         raise AssertionError(f'softmax_t(z, {_T}) returned a value: raise a ValueError when T <= 0')\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
