OK_FORMAT = True

test = {   'name': 'q1',
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
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
