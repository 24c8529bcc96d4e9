OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _W = torch.zeros(8, 3)\n'
                                               '>>> _out = lstm_step(torch.ones(1, 3), torch.zeros(1, 2), torch.ones(1, 2), _W, torch.zeros(8, 2), torch.zeros(8), torch.zeros(8))\n'
                                               ">>> assert isinstance(_out, tuple) and len(_out) == 2, 'lstm_step should return a pair (h, c)'\n"
                                               '>>> _h, _c = _out\n'
                                               ">>> assert _h.shape == (1, 2) and _c.shape == (1, 2), f'expected shapes (1, 2), got {tuple(_h.shape)}, {tuple(_c.shape)}'\n"
                                               '>>> assert torch.allclose(_c, torch.full((1, 2), 0.5)), f"with all-zero weights c\' should be 0.5 * c, got {_c}"\n'
                                               '>>> assert torch.allclose(_h, 0.5 * torch.tanh(torch.full((1, 2), 0.5))), f"h\' = sigmoid(o) * tanh(c\') with the new cell state c\' should be 0.5 * '
                                               'tanh(0.5), got {_h}"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0},
                                   {   'code': '>>> import torch\n'
                                               '>>> _s = torch.tensor([1.0, -1.0, 2.0, 0.5])\n'
                                               '>>> _b = _s.repeat_interleave(2)\n'
                                               '>>> _h, _c = lstm_step(torch.zeros(1, 3), torch.zeros(1, 2), torch.ones(1, 2), torch.zeros(8, 3), torch.zeros(8, 2), _b, 0.5 * _b)\n'
                                               '>>> _i, _f, _g, _o = 1.5 * _s\n'
                                               '>>> _c_ref = float(torch.sigmoid(_f) + torch.sigmoid(_i) * torch.tanh(_g))\n'
                                               '>>> _c_one = float(torch.sigmoid(_f / 1.5) + torch.sigmoid(_i / 1.5) * torch.tanh(_g / 1.5))\n'
                                               ">>> assert abs(float(_c[0, 0]) - _c_one) > 0.0001, 'only one of the biases was added: the gates are x @ W_ih.T + b_ih + h @ W_hh.T + b_hh'\n"
                                               '>>> assert torch.allclose(_c, torch.full((1, 2), _c_ref), atol=1e-05), f"with biases only c\' should be {_c_ref:.4f}, got {_c.flatten().tolist()}: '
                                               'split the gates in torch\'s order input, forget, candidate g, output (gates.chunk(4, dim=1))"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
