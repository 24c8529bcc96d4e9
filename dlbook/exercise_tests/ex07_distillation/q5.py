OK_FORMAT = True

test = {   'name': 'q5',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _W = torch.diag(torch.tensor([3.0, 2.0, 1.0]))\n'
                                               '>>> _A, _B = low_rank_factors(_W, 2)\n'
                                               ">>> assert _A.shape == (3, 2) and _B.shape == (2, 3), f'expected (3, 2) and (2, 3), got {tuple(_A.shape)}, {tuple(_B.shape)}'\n"
                                               ">>> assert torch.allclose(_A @ _B, torch.diag(torch.tensor([3.0, 2.0, 0.0])), atol=1e-05), f'got {_A @ _B}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
