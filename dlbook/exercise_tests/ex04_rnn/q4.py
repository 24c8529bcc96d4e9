OK_FORMAT = True

test = {   'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _w = attention_weights(torch.zeros(1, 2), torch.zeros(1, 4, 3), torch.tensor([[True, True, False, False]]), torch.zeros(5, 2), torch.zeros(5, 3), '
                                               'torch.zeros(5), torch.zeros(5))\n'
                                               ">>> assert _w.shape == (1, 4), f'expected weights of shape (1, 4), got {tuple(_w.shape)}'\n"
                                               ">>> assert not torch.allclose(_w, torch.full((1, 4), 0.25)), 'the masked positions got weight: fill their scores with -inf before the softmax (a score "
                                               "of 0 still gets weight)'\n"
                                               ">>> assert not torch.allclose(_w, torch.tensor([[0.25, 0.25, 0.0, 0.0]])), 'the weights must sum to 1 over the real positions: mask the scores with "
                                               "-inf before the softmax, not the weights after it'\n"
                                               ">>> assert torch.allclose(_w.nan_to_num().sum(dim=1), torch.ones(1)), f'each row of weights must sum to 1, got {_w.tolist()}: take the softmax over "
                                               "the positions (dim=1), not over the batch'\n"
                                               ">>> assert torch.allclose(_w, torch.tensor([[0.5, 0.5, 0.0, 0.0]])), f'equal scores on 2 real positions: [0.5, 0.5, 0, 0], got {_w}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
