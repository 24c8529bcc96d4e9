OK_FORMAT = True

test = {   'name': 'q1',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _q = torch.tensor([[[0.0, 2.0]]])\n'
                                               '>>> _k = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])\n'
                                               '>>> _v = torch.tensor([[[1.0], [3.0]]])\n'
                                               '>>> _o, _w = masked_attention(_q, _k, _v)\n'
                                               '>>> assert isinstance(_w, torch.Tensor) and _w.shape == (1, 1, 2), f"weights should have shape (1, 1, 2), got {getattr(_w, \'shape\', None)}"\n'
                                               '>>> _o2, _w2 = masked_attention(torch.tensor([[[0.0, 2.0], [1.0, -1.0]]]), _k, torch.tensor([[[1.0], [3.0]]]))\n'
                                               ">>> assert torch.allclose(_w2.sum(-1), torch.ones(1, 2), atol=1e-06), 'the weights of each query should sum to 1: take the softmax over the keys "
                                               "(dim=-1)'\n"
                                               ">>> assert abs(_w[0, 0, 1].item() - torch.softmax(torch.tensor([0.0, 2.0]) / 2 ** 0.5, 0)[1].item()) < 1e-06, 'divide the scores by sqrt(d)'\n"
                                               '>>> _o, _w = masked_attention(_q, _k, _v, torch.tensor([[True, False]]))\n'
                                               ">>> assert _w[0, 0, 0].item() != 0, 'you blocked the key the mask allows: True = may attend, so fill the scores where ~mask with -inf'\n"
                                               '>>> assert _w[0, 0, 1].item() == 0 and abs(_o.item() - 1.0) < 1e-06, "a blocked key must get weight 0: fill its score with -inf before the softmax '
                                               '(masked_fill(~mask, float(\'-inf\')))"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
