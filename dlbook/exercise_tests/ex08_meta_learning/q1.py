OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _labels = torch.arange(6).repeat_interleave(5)\n'
                                               '>>> _s, _q, _c = sample_episode_indices(_labels, 3, 2, 1, torch.Generator().manual_seed(0))\n'
                                               '>>> assert isinstance(_s, torch.Tensor) and _s.shape == (6,), f"support_idx should have shape (6,), got {getattr(_s, \'shape\', _s)}"\n'
                                               ">>> assert _q.shape == (3,) and _c.shape == (3,), f'query_idx and classes should have shape (3,), got {tuple(_q.shape)}, {tuple(_c.shape)}'\n"
                                               ">>> assert _labels[_s].tolist() == _c.repeat_interleave(2).tolist(), 'support indices must follow the chosen classes, K at a time'\n"
                                               ">>> assert not set(_s.tolist()) & set(_q.tolist()), 'support and query share an example: draw k_shot + n_query examples of a class with one randperm, "
                                               "then split them'\n"
                                               '>>> _g = torch.Generator().manual_seed(1)\n'
                                               '>>> _seen = {c for _ in range(20) for c in sample_episode_indices(_labels, 3, 2, 1, _g)[2].tolist()}\n'
                                               ">>> assert len(_seen) == 6, f'20 episodes of 3 ways used only the classes {sorted(_seen)}: draw the classes at random, torch.randperm(n_classes, "
                                               "generator=generator)'\n"
                                               '>>> try:\n'
                                               '...     _ = sample_episode_indices(_labels, 7, 1, 1)\n'
                                               '... except ValueError:\n'
                                               '...     pass\n'
                                               '... else:\n'
                                               "...     raise AssertionError('7 ways from 6 classes returned an episode: raise a ValueError when n_way exceeds the number of classes')\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
