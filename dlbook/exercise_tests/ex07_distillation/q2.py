OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _z = torch.tensor([[1.0, 2.0, 3.0]])\n'
                                               '>>> _l = kd_loss(_z, _z, torch.tensor([2]), 4.0, 1.0)\n'
                                               ">>> assert isinstance(_l, torch.Tensor) and _l.dim() == 0, f'return a 0-dim tensor, got {_l}'\n"
                                               ">>> assert abs(_l.item()) < 1e-06, 'a student equal to its teacher has zero soft loss'\n"
                                               '>>> _l = kd_loss(_z, _z, torch.tensor([2]), 4.0, 0.0)\n'
                                               ">>> assert abs(_l.item() - 0.4076) < 0.001, f'with alpha = 0 the loss is the cross-entropy 0.4076, got {_l.item():.4f}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
