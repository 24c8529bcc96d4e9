OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> _e0 = torch.zeros(1, 1, 1, 4)\n'
                                               '>>> _e0[..., 0] = 1.0\n'
                                               '>>> _y = apply_rope(_e0, torch.tensor([1]), base=100.0)\n'
                                               '>>> assert isinstance(_y, torch.Tensor) and _y.shape == (1, 1, 1, 4), f"return a tensor of x\'s shape (1, 1, 1, 4), got {getattr(_y, \'shape\', _y)}"\n'
                                               '>>> _y = _y.flatten()\n'
                                               '>>> _c, _s = (math.cos(1.0), math.sin(1.0))\n'
                                               '>>> _near = lambda v: bool(torch.allclose(_y, torch.tensor(v, dtype=_y.dtype), atol=1e-05))\n'
                                               ">>> assert not _near([1.0, 0.0, 0.0, 0.0]), 'nothing turned at position 1: rotate by the positions given (here [1]), not by 0, 1, ..., T - 1'\n"
                                               ">>> assert not _near([_c, _s, 0.0, 0.0]), 'you paired neighbours (x[0], x[1]), the interleaved layout: here pair i is the two halves, (x[..., i], "
                                               "x[..., i + D/2])'\n"
                                               ">>> assert not _near([_c, 0.0, -_s, 0.0]), 'you rotated by -θ: the rotation is (x1 cos θ - x2 sin θ, x1 sin θ + x2 cos θ)'\n"
                                               ">>> assert not _near([_s, 0.0, _c, 0.0]) and (not _near([_s, 0.0, -_c, 0.0])), 'cos and sin are swapped, so position 0 is not the identity: (x1 cos θ "
                                               "- x2 sin θ, x1 sin θ + x2 cos θ)'\n"
                                               ">>> assert _near([_c, 0.0, _s, 0.0]), f'e_0 at position 1 (θ = 1 for pair 0) should become (cos 1, 0, sin 1, 0), got {_y.tolist()}'\n"
                                               '>>> _e1 = torch.zeros(1, 1, 1, 4)\n'
                                               '>>> _e1[..., 1] = 1.0\n'
                                               '>>> _y = apply_rope(_e1, torch.tensor([1]), base=100.0).flatten()\n'
                                               '>>> _t = 100.0 ** (-1 / 4)\n'
                                               ">>> assert not _near([0.0, math.cos(_t), 0.0, math.sin(_t)]), 'pair i turns with frequency base^(-2i/D), not base^(-i/D)'\n"
                                               ">>> assert not _near([0.0, math.cos(0.01), 0.0, math.sin(0.01)]), 'use the base argument (here 100), not always 10000'\n"
                                               ">>> assert _near([0.0, math.cos(0.1), 0.0, math.sin(0.1)]), f'e_1 at position 1 with base 100, D = 4 turns by 100^(-2/4) = 0.1: expected (0, cos 0.1, "
                                               "0, sin 0.1), got {_y.tolist()}'\n"
                                               '>>> _x = torch.linspace(-1.0, 1.0, 2 * 3 * 4 * 6).reshape(2, 3, 4, 6)\n'
                                               '>>> _y = apply_rope(_x, torch.tensor([0, 5, 2, 9]))\n'
                                               ">>> assert _y.shape == _x.shape and _y.dtype == _x.dtype, f'expected shape {tuple(_x.shape)} and dtype {_x.dtype}, got {tuple(_y.shape)}, {_y.dtype}'\n"
                                               ">>> assert torch.allclose(_y[:, :, 0], _x[:, :, 0], atol=1e-06), 'position 0 must be the identity (cos 0 = 1, sin 0 = 0)'\n"
                                               ">>> assert not torch.allclose(_y, apply_rope(_x, torch.arange(4)), atol=0.0001), 'rotate by the positions given (here [0, 5, 2, 9]), not by 0, 1, ..., "
                                               "T - 1'\n"
                                               ">>> assert torch.allclose(_y.norm(dim=-1), _x.norm(dim=-1), atol=1e-05), 'a rotation keeps the norm of every vector'\n"
                                               '>>> _q, _k = (torch.linspace(-1.0, 1.0, 8).reshape(1, 1, 1, 8), torch.linspace(2.0, -1.0, 8).reshape(1, 1, 1, 8))\n'
                                               '>>> _dot = lambda m, n: float((apply_rope(_q, torch.tensor([m])) * apply_rope(_k, torch.tensor([n]))).sum())\n'
                                               ">>> assert abs(_dot(7, 3) - _dot(4, 0)) < 0.0001, 'q at m and k at n should have a dot product that depends on m - n only'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
