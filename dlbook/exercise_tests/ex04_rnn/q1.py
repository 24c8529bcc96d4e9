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
                                               '>>> assert torch.allclose(_h, 0.5 * torch.tanh(torch.full((1, 2), 0.5))), f"h\' should be 0.5 * tanh(c\'), got {_h}"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
