OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q5',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> import torch.nn.functional as F\n'
                                               '>>> from torch import nn\n'
                                               '>>> import dlbook.distributed\n'
                                               '>>> _ = torch.manual_seed(0)\n'
                                               '>>> _model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))\n'
                                               '>>> _X, _y = (torch.linspace(-2, 2, 28).reshape(7, 4), torch.tensor([0, 2, 1, 1, 0, 2, 2]))\n'
                                               '>>> _params = list(_model.parameters())\n'
                                               '>>> _full = torch.autograd.grad(F.cross_entropy(_model(_X), _y), _params)\n'
                                               '>>> _own = [torch.autograd.grad(F.cross_entropy(_model(_X[a:b]), _y[a:b]), _params) for a, b in [(0, 3), (3, 5), (5, 7)]]\n'
                                               '>>> _close = lambda a, b: len(a) == len(b) and all((torch.allclose(u, v, atol=1e-06) for u, v in zip(a, b)))\n'
                                               '>>> for _p in _model.parameters():\n'
                                               '...     _p.grad = None\n'
                                               '>>> _r = data_parallel_grads(_model, _X, _y, 3)\n'
                                               ">>> assert isinstance(_r, tuple) and len(_r) == 2, 'return (shard_grads, grads)'\n"
                                               '>>> _shards, _grads = _r\n'
                                               ">>> assert len(_shards) == 3 and all((len(s) == len(_params) for s in _shards)), f'shard_grads holds one list per rank (3), each with one gradient per "
                                               "parameter ({len(_params)})'\n"
                                               ">>> assert not _close(_shards[0], torch.autograd.grad(F.cross_entropy(_model(_X[0::3]), _y[0::3]), _params)), 'cut the batch into contiguous shards "
                                               "with tensor_split(world_size): rows 0-2, 3-4 and 5-6 here, not every N-th row'\n"
                                               '>>> assert not _close(_shards[1], [a + b for a, b in zip(_own[0], _own[1])]), "rank 1\'s gradient includes rank 0\'s: each rank\'s gradient is its '
                                               'own, zero the gradients between shards (or use torch.autograd.grad)"\n'
                                               '>>> assert not _close(_shards[0], [3 * g for g in _own[0]]), "each rank\'s loss is the mean over its shard (F.cross_entropy\'s default), not the sum"\n'
                                               '>>> assert all((_close(s, o) for s, o in zip(_shards, _own))), "shard_grads[k] should be the gradient of F.cross_entropy on rank k\'s shard, rows '
                                               'X.tensor_split(3)[k]"\n'
                                               '>>> assert not _close(_grads, [sum((s[i] for s in _own)) for i in range(len(_params))]), "average the shards\' gradients (weights n_k / n that add up '
                                               'to 1), don\'t sum them"\n'
                                               '>>> assert not _close(_grads, [sum((s[i] for s in _own)) / 3 for i in range(len(_params))]), "the shards are unequal (3, 2 and 2 examples): weight '
                                               'each shard\'s gradient by n_k / n, a plain average over the ranks is not the full-batch gradient"\n'
                                               ">>> assert _close(_grads, _full), 'grads should be the gradient of the mean loss on the whole batch'\n"
                                               '>>> _X8, _y8 = (torch.linspace(-1, 3, 32).reshape(8, 4), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]))\n'
                                               '>>> _full8 = torch.autograd.grad(F.cross_entropy(_model(_X8), _y8), _params)\n'
                                               ">>> assert _close(data_parallel_grads(_model, _X8, _y8, 4)[1], _full8), '8 examples on 4 ranks: the combined gradient should equal the full-batch "
                                               "gradient'\n"
                                               ">>> assert _close(dlbook.distributed.data_parallel_gradients(_model, F.cross_entropy, _X, _y, 3)[1], _grads), 'your combined gradient disagrees with "
                                               "dlbook.distributed.data_parallel_gradients'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
