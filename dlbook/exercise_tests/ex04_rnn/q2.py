OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _out = clip_by_global_norm([torch.tensor([3.0]), torch.tensor([4.0])], 1.0)\n'
                                               ">>> assert isinstance(_out, tuple) and len(_out) == 2, 'return (clipped_grads, norm)'\n"
                                               '>>> _clipped, _norm = _out\n'
                                               ">>> assert abs(float(_norm) - 5.0) < 1e-06, f'the global norm of [3] and [4] is 5, got {_norm}'\n"
                                               ">>> assert torch.allclose(torch.cat(_clipped), torch.tensor([0.6, 0.8])), f'scaled to norm 1: [0.6, 0.8], got {_clipped}'\n"
                                               '>>> _same, _ = clip_by_global_norm([torch.tensor([0.3])], 1.0)\n'
                                               ">>> assert torch.allclose(_same[0], torch.tensor([0.3])), 'below max_norm nothing changes'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
