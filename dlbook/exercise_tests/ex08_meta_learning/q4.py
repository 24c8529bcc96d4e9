OK_FORMAT = True

test = {   'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _emb = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 4.0], [0.0, 2.0]])\n'
                                               '>>> _pr = prototypes(_emb, torch.tensor([0, 0, 1, 1]), 2)\n'
                                               '>>> assert isinstance(_pr, torch.Tensor) and _pr.shape == (2, 2), f"expected shape (2, 2), got {getattr(_pr, \'shape\', _pr)}"\n'
                                               '>>> assert not torch.allclose(_pr, torch.tensor([[2.0, 0.0], [0.0, 6.0]])), "prototypes are means of the class\'s embeddings, not sums"\n'
                                               ">>> assert torch.allclose(_pr, torch.tensor([[1.0, 0.0], [0.0, 3.0]])), f'got {_pr}'\n"
                                               '>>> _mixed = prototypes(_emb[[0, 2, 1, 3]], torch.tensor([0, 1, 0, 1]), 2)\n'
                                               ">>> assert torch.allclose(_mixed, _pr), 'with the labels [0, 1, 0, 1] the prototypes changed: average the rows labelled c, emb[labels == c], whatever "
                                               "their order'\n"
                                               '>>> _lg = protonet_logits(torch.tensor([[1.0, 1.0]]), _pr)\n'
                                               ">>> assert _lg.shape == (1, 2), f'expected logits of shape (1, 2), got {tuple(_lg.shape)}'\n"
                                               ">>> assert not torch.allclose(_lg, torch.tensor([[1.0, 5.0]])), 'the logits are minus the squared distances: a nearer prototype gets a larger logit'\n"
                                               ">>> assert not torch.allclose(_lg, -torch.tensor([[1.0, 5.0]]).sqrt()), 'use the squared Euclidean distance, not the distance'\n"
                                               ">>> assert torch.allclose(_lg, torch.tensor([[-1.0, -5.0]])), f'expected [[-1, -5]], got {_lg}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
