OK_FORMAT = True

test = {   'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _w = torch.tensor([[1.27, -0.5], [0.0127, 0.01]])\n'
                                               '>>> _q, _s = quantize_int8(_w, False)\n'
                                               '>>> assert isinstance(_q, torch.Tensor) and _q.dtype == torch.int8, f"q should be int8, got {getattr(_q, \'dtype\', _q)}"\n'
                                               ">>> assert _q.tolist() == [[127, -50], [1, 1]] and abs(float(_s) - 0.01) < 1e-07, f'got {_q.tolist()}, {_s}'\n"
                                               '>>> _q, _s = quantize_int8(_w, True)\n'
                                               ">>> assert _s.shape == (2, 1) and _q.tolist() == [[127, -50], [127, 100]], f'got {_q.tolist()}, scale shape {tuple(_s.shape)}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
