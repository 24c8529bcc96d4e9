OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _w = torch.tensor([[1.27, -0.567], [0.0127, 0.0104]])\n'
                                               '>>> _q, _s = quantize_int8(_w, False)\n'
                                               '>>> assert isinstance(_q, torch.Tensor) and _q.dtype == torch.int8, f"q should be torch.int8 codes (.to(torch.int8)), got {getattr(_q, \'dtype\', '
                                               '_q)}"\n'
                                               ">>> assert abs(float(_s) - 0.01) < 1e-07, f's = max|w| / 127 = 1.27 / 127 = 0.01 here, got {float(_s)}'\n"
                                               ">>> assert _q[0, 1].item() != -56, '-0.567 / 0.01 = -56.7 became -56: round(w / s) before the cast, which truncates'\n"
                                               ">>> assert _q.tolist() == [[127, -57], [1, 1]], f'expected [[127, -57], [1, 1]], got {_q.tolist()}'\n"
                                               '>>> _q, _s = quantize_int8(_w, True)\n'
                                               ">>> assert tuple(_s.shape) == (2, 1), f'per channel there is one scale per row (output channel), shape (out, 1) = (2, 1); got {tuple(_s.shape)}'\n"
                                               ">>> assert _q.tolist() == [[127, -57], [127, 104]], f'expected [[127, -57], [127, 104]], got {_q.tolist()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
