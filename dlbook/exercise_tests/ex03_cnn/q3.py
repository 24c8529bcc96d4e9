OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _y = max_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2)\n'
                                               ">>> assert isinstance(_y, torch.Tensor), f'max_pool2d should return a tensor, got {type(_y).__name__}'\n"
                                               ">>> assert torch.equal(_y, torch.tensor([[[[5.0, 7.0], [13.0, 15.0]]]])), f'got {_y}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
