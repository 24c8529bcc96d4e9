OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> import dlbook.distributed\n'
                                               '>>> _t = [torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]) * 10 ** r for r in range(3)]\n'
                                               '>>> _copy = [t.clone() for t in _t]\n'
                                               '>>> _res, _sent = ring_allreduce(_t)\n'
                                               ">>> assert isinstance(_res, list) and len(_res) == 3 and all((isinstance(r, torch.Tensor) for r in _res)), 'return a list of N tensors, one per rank, "
                                               "as results'\n"
                                               ">>> assert all((torch.equal(a, b) for a, b in zip(_t, _copy))), 'ring_allreduce changed its input tensors: leave them unchanged (work on copies, "
                                               ".clone())'\n"
                                               ">>> assert all((r.shape == (5,) for r in _res)), f'each result has the shape of the inputs, (5,), got {[tuple(r.shape) for r in _res]}'\n"
                                               '>>> _sum = torch.tensor([111.0, 222.0, 333.0, 444.0, 555.0])\n'
                                               ">>> assert not any((bool((r > _sum + 0.001).any()) for r in _res)), 'some elements are counted twice: in the all-gather the receiver replaces (copies) "
                                               "its chunk by the one received, it does not add it, and each step sends only the chunks taken before the step'\n"
                                               ">>> assert all((torch.allclose(r, _sum) for r in _res)), f'after the reduce-scatter each rank holds only one fully summed chunk: add the all-gather, "
                                               "which passes the summed chunks round the ring; got {[r.tolist() for r in _res]}'\n"
                                               ">>> assert isinstance(_sent, list) and len(_sent) == 3 and all((isinstance(s, int) for s in _sent)), f'sent is a list of N ints, got {_sent!r}'\n"
                                               ">>> assert _sent != [20, 20, 20], 'each step sends one chunk (about numel / N elements), not the whole tensor: count the elements of the chunks sent'\n"
                                               ">>> assert _sent != [3, 4, 3], 'count the elements sent in the all-gather too'\n"
                                               ">>> assert _sent == [7, 7, 6], f'the chunks of 5 elements on 3 ranks have 2, 2 and 1 elements; rank r sends every chunk but (r + 1) mod 3 in the "
                                               "reduce-scatter and every chunk but (r + 2) mod 3 in the all-gather: expected [7, 7, 6], got {_sent}'\n"
                                               '>>> _g = torch.Generator().manual_seed(0)\n'
                                               '>>> _t = [torch.randn(4, 6, generator=_g) for _ in range(5)]\n'
                                               '>>> _res, _sent = ring_allreduce(_t)\n'
                                               '>>> _ref, _ref_sent = dlbook.distributed.ring_allreduce(_t)\n'
                                               ">>> assert all((torch.allclose(a, b, atol=1e-05) for a, b in zip(_res, _ref))), 'on 5 ranks of (4, 6) tensors your results differ from the sum'\n"
                                               ">>> assert _sent == _ref_sent, f'on 5 ranks of 24 elements each rank sends {_ref_sent} elements (2(N - 1)/N of 24 is 19.2), you counted {_sent}'\n"
                                               '>>> _one = torch.arange(3.0)\n'
                                               '>>> _res, _sent = ring_allreduce([_one])\n'
                                               ">>> assert torch.equal(_res[0], _one) and _sent == [0], 'with one rank there is nothing to send: the result is the tensor itself and sent is [0]'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
