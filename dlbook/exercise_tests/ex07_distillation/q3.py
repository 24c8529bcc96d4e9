OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _w = torch.tensor([[0.5, -3.0], [0.1, 2.0]])\n'
                                               '>>> _p = prune_by_magnitude(_w, 0.5)\n'
                                               ">>> assert isinstance(_p, torch.Tensor) and _p.shape == (2, 2), f'expected a (2, 2) tensor, got {_p}'\n"
                                               ">>> assert torch.equal(_p, torch.tensor([[0.0, -3.0], [0.0, 2.0]])), f'got {_p}'\n"
                                               ">>> assert _w[0, 0] == 0.5, 'do not change w'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
