OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q5',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> from dlbook import reading\n'
                                               '>>> _s = torch.tensor([[0.1, 0.3, 0.2, 2.0, 0.0, 0.15], [1.0, 0.2, 0.1, 0.0, 0.3, 0.0]])\n'
                                               '>>> _e = torch.tensor([[0.2, 3.0, 0.1, 0.0, 0.4, 0.05], [0.0, 0.1, 0.2, 0.3, 0.0, 2.5]])\n'
                                               '>>> _out = decode_spans(_s, _e, 3)\n'
                                               ">>> assert isinstance(_out, tuple) and len(_out) == 2, f'return a tuple (start, end), got {type(_out).__name__}'\n"
                                               '>>> _i, _j = (torch.as_tensor(v) for v in _out)\n'
                                               ">>> assert _i.shape == (2,) and _j.shape == (2,), f'start and end have shape (B,) = (2,), got {tuple(_i.shape)}, {tuple(_j.shape)}'\n"
                                               ">>> assert (_j >= _i).all(), f'a span ends at or after its start (end >= start); you returned start {_i.tolist()}, end {_j.tolist()}: maximise "
                                               "start_logits[i] + end_logits[j] over the pairs with i <= j only'\n"
                                               ">>> assert (_j - _i < 3).all(), f'a span holds at most max_answer_len tokens (end - start < max_answer_len); you returned start {_i.tolist()}, end "
                                               "{_j.tolist()}'\n"
                                               ">>> assert _i.tolist() != [3, 0] or _j.tolist() != [4, 2], 'maximise start_logits[i] + end_logits[j] jointly over the valid pairs: the best start "
                                               "alone (row 0: token 3) does not give the best span'\n"
                                               ">>> assert _i.tolist() == [1, 4] and _j.tolist() == [1, 5], f'expected start [1, 4], end [1, 5], got {_i.tolist()}, {_j.tolist()}'\n"
                                               '>>> _i, _j = (torch.as_tensor(v) for v in decode_spans(_s, _e, 1))\n'
                                               ">>> assert (_j - _i < 1).all(), f'with max_answer_len = 1 a span is one token (end - start < max_answer_len, not <=); you returned start "
                                               "{_i.tolist()}, end {_j.tolist()}'\n"
                                               '>>> _g = torch.Generator().manual_seed(0)\n'
                                               '>>> _s, _e = (torch.randn(6, 12, generator=_g), torch.randn(6, 12, generator=_g))\n'
                                               '>>> _ref = reading.decode_spans(_s, _e, 4)\n'
                                               '>>> _i, _j = (torch.as_tensor(v) for v in decode_spans(_s, _e, 4))\n'
                                               ">>> assert torch.equal(_i, _ref[0]) and torch.equal(_j, _ref[1]), f'on random logits you disagree with dlbook.reading.decode_spans: start "
                                               "{_i.tolist()} vs {_ref[0].tolist()}, end {_j.tolist()} vs {_ref[1].tolist()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
