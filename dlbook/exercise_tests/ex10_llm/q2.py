OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q2',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _x = torch.tensor([[1.0, -2.0, 3.0, 0.5], [0.2, 0.4, -0.1, 2.0]])\n'
                                               '>>> _w = torch.tensor([0.5, 1.0, 2.0, -1.0])\n'
                                               '>>> _y = rms_norm(_x, _w, 0.25)\n'
                                               '>>> assert isinstance(_y, torch.Tensor) and _y.shape == (2, 4), f"expected a tensor of shape (2, 4), got {getattr(_y, \'shape\', _y)}"\n'
                                               '>>> _near = lambda v: bool(torch.allclose(_y[0], torch.tensor(v), atol=0.001))\n'
                                               ">>> assert not _near([0.2339, -0.9357, 2.8071, -0.2339]), 'eps goes inside the square root: x / sqrt(mean(x^2) + eps), not x / (sqrt(mean(x^2)) + "
                                               "eps)'\n"
                                               ">>> assert not _near([0.2667, -1.0667, 3.2, -0.2667]) and (not _near([0.3651, -1.4606, 4.3818, -0.3651])), 'average the squares x^2 (the root mean "
                                               "square), not |x|'\n"
                                               ">>> assert not _near([0.5121, -1.0243, 1.5364, 0.2561]), 'multiply by the weight (the learned gain) at the end'\n"
                                               ">>> assert not _near([0.5698, -1.3102, 2.7515, -0.3244]), 'normalise each vector over the last dimension (dim=-1, the features), not over the batch'\n"
                                               ">>> assert not _near([0.1014, -1.419, 2.5678, 0.0676]), 'RMSNorm subtracts no mean (that is LayerNorm): divide x itself by its root mean square'\n"
                                               ">>> assert torch.allclose(_y, torch.tensor([[0.2561, -1.0243, 3.0729, -0.2561], [0.0876, 0.3505, -0.1752, -1.7524]]), atol=0.001), f'got {_y}'\n"
                                               '>>> _x3 = torch.linspace(-2.0, 3.0, 36).reshape(2, 3, 6)\n'
                                               '>>> _w6 = torch.linspace(0.5, 1.5, 6)\n'
                                               '>>> _y3 = rms_norm(_x3, _w6, 1e-05)\n'
                                               '>>> assert isinstance(_y3, torch.Tensor) and _y3.shape == (2, 3, 6), f"a (2, 3, 6) input gives a (2, 3, 6) output, got {getattr(_y3, \'shape\', '
                                               '_y3)}"\n'
                                               ">>> if hasattr(torch.nn, 'RMSNorm'):\n"
                                               '...     _ref = torch.nn.RMSNorm(6, eps=1e-05)\n'
                                               '...     _ = _ref.weight.data.copy_(_w6)\n'
                                               "...     assert torch.allclose(_y3, _ref(_x3), atol=1e-05), 'your rms_norm disagrees with torch.nn.RMSNorm(6, eps=1e-5) on a (2, 3, 6) input'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
