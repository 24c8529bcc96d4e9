OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _w = torch.tensor([[0.5, -3.0], [0.1, 2.0]])\n'
                                               '>>> _p = prune_by_magnitude(_w, 0.5)\n'
                                               ">>> assert isinstance(_p, torch.Tensor) and _p.shape == (2, 2), f'expected a (2, 2) tensor, got {_p}'\n"
                                               ">>> assert _w[0, 0] == 0.5 and _w[1, 0] == 0.1, 'prune_by_magnitude changed w in place: prune a copy (w.clone())'\n"
                                               ">>> assert not torch.equal(_p, torch.tensor([[0.5, 0.0], [0.0, 2.0]])), 'you pruned the smallest values (-3.0 is the smallest): prune the smallest "
                                               "absolute values, |w|'\n"
                                               ">>> assert torch.equal(_p, torch.tensor([[0.0, -3.0], [0.0, 2.0]])), f'got {_p}'\n"
                                               '>>> _w = torch.tensor([[0.3, -2.0, 0.05, 1.5, -0.2]])\n'
                                               '>>> _n = int((prune_by_magnitude(_w, 0.35) == 0).sum())\n'
                                               ">>> assert _n != 1, '0.35 * 5 = 1.75 entries: int() truncates to 1; prune round(sparsity * n) = 2 entries'\n"
                                               ">>> assert _n != 3, '0.35 * 5 = 1.75 entries: prune round(sparsity * n) = 2 entries, not ceil'\n"
                                               ">>> assert _n == 2, f'0.35 * 5 = 1.75 rounds to 2 zeros, got {_n}'\n"
                                               '>>> for _s in (1.0, -0.1):\n'
                                               '...     try:\n'
                                               '...         _ = prune_by_magnitude(_w, _s)\n'
                                               '...     except ValueError:\n'
                                               '...         pass\n'
                                               '...     else:\n'
                                               "...         raise AssertionError(f'prune_by_magnitude(w, {_s}) returned a value: raise a ValueError if sparsity is outside [0, 1)')\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
