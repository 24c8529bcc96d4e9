OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q5',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _W = torch.diag(torch.tensor([3.0, 2.0, 1.0]))\n'
                                               '>>> _A, _B = low_rank_factors(_W, 2)\n'
                                               ">>> assert _A.shape == (3, 2) and _B.shape == (2, 3), f'expected (3, 2) and (2, 3), got {tuple(_A.shape)}, {tuple(_B.shape)}'\n"
                                               ">>> assert not torch.allclose(_A @ _B, torch.diag(torch.tensor([0.0, 2.0, 1.0])), atol=1e-05), 'you kept the smallest singular values: keep the r "
                                               "largest (the SVD sorts them in decreasing order)'\n"
                                               ">>> assert not torch.allclose(_A @ _B, torch.diag(torch.tensor([1.0, 1.0, 0.0])), atol=1e-05), 'A @ B lost the singular values: multiply them into one "
                                               "factor, A = U[:, :r] * S[:r]'\n"
                                               ">>> assert torch.allclose(_A @ _B, torch.diag(torch.tensor([3.0, 2.0, 0.0])), atol=1e-05), f'got {_A @ _B}'\n"
                                               '>>> _W = torch.tensor([[2.0, 1.0, 0.0, 1.0], [0.0, 3.0, 1.0, -1.0], [1.0, 0.0, -2.0, 0.5]])\n'
                                               '>>> _A, _B = low_rank_factors(_W, 2)\n'
                                               ">>> assert tuple(_B.shape) == (2, 4), f'for W of shape (3, 4), B has shape (r, in) = (2, 4): the first r rows of Vh (Vh[:r]), not of Vh.T; got "
                                               "{tuple(_B.shape)}'\n"
                                               '>>> _U, _S, _Vh = torch.linalg.svd(_W, full_matrices=False)\n'
                                               ">>> assert torch.allclose(_A @ _B, _U[:, :2] * _S[:2] @ _Vh[:2], atol=1e-05), f'A @ B is not the best rank-2 approximation of this W: A = U[:, :r] * "
                                               "S[:r], B = Vh[:r]; got {_A @ _B}'\n"
                                               '>>> for _r in (0, 4):\n'
                                               '...     try:\n'
                                               '...         _ = low_rank_factors(_W, _r)\n'
                                               '...     except ValueError:\n'
                                               '...         pass\n'
                                               '...     else:\n'
                                               "...         raise AssertionError(f'low_rank_factors(W, {_r}) returned a value for W of shape (3, 4): raise a ValueError unless 1 <= r <= min(out, "
                                               "in)')\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
