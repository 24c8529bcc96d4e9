OK_FORMAT = True

test = {   'name': 'q2',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _x = torch.arange(16.0).reshape(1, 1, 4, 4)\n'
                                               '>>> _y = conv2d_loops(_x, torch.ones(1, 1, 2, 2))\n'
                                               ">>> assert isinstance(_y, torch.Tensor), f'conv2d_loops should return a tensor, got {type(_y).__name__}'\n"
                                               ">>> assert _y.shape != (1, 1, 2, 2), 'an input of side 4 and a kernel of side 2 give 4 - 2 + 1 = 3 positions per side, not 2 (off by one)'\n"
                                               ">>> assert _y.shape == (1, 1, 3, 3), f'expected shape (1, 1, 3, 3), got {tuple(_y.shape)}'\n"
                                               ">>> assert _y[0, 0, 0, 0].item() == 0 + 1 + 4 + 5, f'top-left output should be 10, got {_y[0, 0, 0, 0].item()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0},
                                   {   'code': '>>> import torch\n'
                                               '>>> _x = torch.arange(16.0).reshape(1, 1, 4, 4)\n'
                                               '>>> _k = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])\n'
                                               '>>> _y = conv2d_loops(_x, _k)\n'
                                               ">>> assert _y[0, 0, 0, 0].item() != 0 * 4 + 1 * 3 + 4 * 2 + 5 * 1, 'the kernel was flipped: a deep-learning convolution is a cross-correlation, out[i, "
                                               "j] = sum over (a, b) of x[i + a, j + b] * w[a, b]'\n"
                                               ">>> assert _y[0, 0, 0, 0].item() == 0 * 1 + 1 * 2 + 4 * 3 + 5 * 4, f'top-left output should be 34, got {_y[0, 0, 0, 0].item()}'\n"
                                               '>>> _yb = conv2d_loops(_x, _k, torch.tensor([10.0]))\n'
                                               ">>> assert torch.allclose(_yb, _y + 10), 'conv2d_loops(x, w, b) should add b[c] to every output of channel c: the bias is missing or misplaced'\n"
                                               '>>> _ys = conv2d_loops(_x, _k, stride=2)\n'
                                               ">>> assert _ys.shape == (1, 1, 2, 2), f'stride 2 on a 4x4 input with a 2x2 kernel gives a 2x2 output, got {tuple(_ys.shape)}'\n"
                                               ">>> assert torch.allclose(_ys, _y[:, :, ::2, ::2]), 'with stride s, the window of output (i, j) starts at (i * s, j * s)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
