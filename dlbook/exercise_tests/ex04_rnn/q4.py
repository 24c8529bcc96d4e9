OK_FORMAT = True

test = {   'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _w = attention_weights(torch.zeros(1, 2), torch.zeros(1, 4, 3), torch.tensor([[True, True, False, False]]), torch.zeros(5, 2), torch.zeros(5, 3), '
                                               'torch.zeros(5), torch.zeros(5))\n'
                                               ">>> assert _w.shape == (1, 4), f'expected weights of shape (1, 4), got {tuple(_w.shape)}'\n"
                                               ">>> assert torch.allclose(_w, torch.tensor([[0.5, 0.5, 0.0, 0.0]])), f'equal scores on 2 real positions: [0.5, 0.5, 0, 0], got {_w}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
