OK_FORMAT = True

test = {   'name': 'q2',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _x = torch.arange(16.0).reshape(1, 1, 4, 4)\n'
                                               '>>> _y = conv2d_loops(_x, torch.ones(1, 1, 2, 2))\n'
                                               ">>> assert isinstance(_y, torch.Tensor), f'conv2d_loops should return a tensor, got {type(_y).__name__}'\n"
                                               ">>> assert _y.shape == (1, 1, 3, 3), f'expected shape (1, 1, 3, 3), got {tuple(_y.shape)}'\n"
                                               ">>> assert _y[0, 0, 0, 0].item() == 0 + 1 + 4 + 5, f'top-left output should be 10, got {_y[0, 0, 0, 0].item()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
