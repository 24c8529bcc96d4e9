OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q8',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _L, _H, _P, _E, _B = (2, 2, 3, 4, 5)\n'
                                               '>>> _where = 1000 * torch.arange(_L).view(1, _L, 1, 1) + 100 * torch.arange(2).view(1, 1, 2, 1) + 10 * torch.arange(_P).view(_P, 1, 1, 1) + '
                                               'torch.arange(_E).view(1, 1, 1, _E)\n'
                                               '>>> _out = _where.reshape(_P, 2 * _L * _E).float().requires_grad_()\n'
                                               '>>> _r = prefix_kv(_out, _L, _H, _B)\n'
                                               ">>> assert isinstance(_r, (list, tuple)) and len(_r) == _L and all((isinstance(_x, (list, tuple)) and len(_x) == 2 for _x in _r)), f'return a list of "
                                               "n_layers = {_L} pairs (k, v), one per layer, got {type(_r).__name__}'\n"
                                               '>>> _k, _v = _r[1]\n'
                                               ">>> assert isinstance(_k, torch.Tensor) and isinstance(_v, torch.Tensor), 'each pair holds two tensors, (k, v)'\n"
                                               '>>> _want = (_B, _H, _P, _E // _H)\n'
                                               ">>> assert tuple(_k.shape) != (_H, _P, _E // _H) and tuple(_k.shape) != (1, _H, _P, _E // _H), f'expand the prefix over the batch: every one of the "
                                               "batch_size sequences gets it, shape {_want}; got {tuple(_k.shape)}'\n"
                                               '>>> assert tuple(_k.shape) != (_B, _P, _H, _E // _H), f"move the head axis before the positions, (batch_size, n_heads, P, d) = {_want}, as '
                                               'attention\'s keys are; got {tuple(_k.shape)}"\n'
                                               ">>> assert tuple(_k.shape) == _want and tuple(_v.shape) == _want, f'each key and value has shape (batch_size, n_heads, P, E // n_heads) = {_want}, got "
                                               "{tuple(_k.shape)} and {tuple(_v.shape)}'\n"
                                               '>>> _ref = _where.float().reshape(_P, _L, 2, _H, _E // _H).permute(1, 2, 3, 0, 4)\n'
                                               '>>> _k0 = float(_k.detach()[0, 0, 0, 0])\n'
                                               '>>> assert _k0 != 1100, "keys and values are swapped: in each layer\'s pair of blocks the key comes first (block 2l), then the value (2l + 1)"\n'
                                               '>>> assert _k0 != 100, "out\'s last axis is laid out (layer, key/value, feature): reshape it to (P, L, 2, E), not (P, 2, L, E)"\n'
                                               ">>> assert not (_k.detach()[0].flatten().sort().values.equal(_ref[1, 0].flatten().sort().values) and (not _k.detach()[0].equal(_ref[1, 0]))), 'split "
                                               "each (P, E) block into heads as attention does: (P, E) -> (P, H, d) -> (H, P, d); a plain reshape to (H, P, d) mixes the positions'\n"
                                               '>>> assert torch.equal(_k.detach()[0], _ref[1, 0]) and torch.equal(_v.detach()[0], _ref[1, 1]), f"layer 1\'s key for head 0 should be {_ref[1, 0, '
                                               '0].tolist()}, got {_k.detach()[0, 0].tolist()}"\n'
                                               '>>> assert torch.equal(_r[0][0].detach()[-1], _ref[0, 0]), "layer 0\'s key is block 0 of out, for every sequence of the batch"\n'
                                               ">>> assert all((torch.equal(_k.detach()[_i], _k.detach()[0]) for _i in range(_B))), 'every sequence of the batch gets the same prefix'\n"
                                               ">>> assert _k.requires_grad and _v.requires_grad, 'keep the prefix in the autograd graph (no .detach(), .item(), .tolist() or torch.tensor(...)): the "
                                               "MLP that made out is what trains'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
