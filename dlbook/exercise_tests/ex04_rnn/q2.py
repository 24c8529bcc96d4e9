OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _g = [torch.tensor([3.0]), torch.tensor([4.0])]\n'
                                               '>>> _out = clip_by_global_norm(_g, 1.0)\n'
                                               ">>> assert isinstance(_out, tuple) and len(_out) == 2, 'return (clipped_grads, norm)'\n"
                                               '>>> _clipped, _norm = _out\n'
                                               ">>> assert _g[0].item() == 3.0 and _g[1].item() == 4.0, 'clip_by_global_norm changed the gradients in place: return new tensors (g * scale, no "
                                               ".mul_())'\n"
                                               ">>> assert abs(float(_norm) - 1.0) > 1e-06, 'return the global norm before clipping (5 here), not after'\n"
                                               ">>> assert abs(float(_norm) - 5.0) < 1e-06, f'the global norm of [3] and [4] is 5, got {_norm}'\n"
                                               ">>> assert not torch.allclose(torch.cat(_clipped), torch.tensor([1.0, 1.0])), 'each tensor was scaled by its own norm: scale every tensor by the same "
                                               "factor max_norm / global norm'\n"
                                               ">>> assert torch.allclose(torch.cat(_clipped), torch.tensor([0.6, 0.8])), f'scaled to norm 1: [0.6, 0.8], got {_clipped}'\n"
                                               '>>> _same, _ = clip_by_global_norm([torch.tensor([0.3])], 1.0)\n'
                                               ">>> assert torch.allclose(_same[0], torch.tensor([0.3])), 'below max_norm nothing changes: scale by min(1, max_norm / norm)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
