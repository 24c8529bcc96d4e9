OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _y = max_pool2d(torch.arange(16.0).reshape(1, 1, 4, 4), 2)\n'
                                               ">>> assert isinstance(_y, torch.Tensor), f'max_pool2d should return a tensor, got {type(_y).__name__}'\n"
                                               ">>> assert _y.shape == (1, 1, 2, 2), f'max_pool2d(x, 2) on a 4x4 input should give 2x2, got {tuple(_y.shape)}: stride defaults to k (non-overlapping "
                                               "windows)'\n"
                                               ">>> assert torch.equal(_y, torch.tensor([[[[5.0, 7.0], [13.0, 15.0]]]])), f'got {_y}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0},
                                   {   'code': '>>> import torch\n'
                                               '>>> _y5 = max_pool2d(torch.arange(25.0).reshape(1, 1, 5, 5), 2)\n'
                                               ">>> assert _y5.shape == (1, 1, 2, 2), f'max_pool2d(x, 2) on a 5x5 input should give 2x2, got {tuple(_y5.shape)}: drop the windows that do not fit, (H "
                                               "- k) // stride + 1 per side'\n"
                                               '>>> _xc = torch.stack([torch.arange(16.0), -torch.arange(16.0)]).reshape(1, 2, 4, 4)\n'
                                               '>>> _yc = max_pool2d(_xc, 2)\n'
                                               '>>> assert torch.equal(_yc[0, 1], torch.tensor([[0.0, -2.0], [-8.0, -10.0]])), "each channel is pooled on its own: take the maximum over the window\'s '
                                               'two spatial dimensions (2, 3) only"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
