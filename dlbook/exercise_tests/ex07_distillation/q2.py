OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _z = torch.tensor([[1.0, 2.0, 3.0]])\n'
                                               '>>> _l = kd_loss(_z, _z, torch.tensor([2]), 4.0, 1.0)\n'
                                               ">>> assert isinstance(_l, torch.Tensor) and _l.dim() == 0, f'return a 0-dim tensor, got {_l}'\n"
                                               ">>> assert abs(_l.item()) < 1e-06, 'a student equal to its teacher has zero soft loss'\n"
                                               '>>> _s = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 2.0]])\n'
                                               '>>> _t = torch.tensor([[3.0, 0.0, 1.0], [1.0, 0.5, -2.0]])\n'
                                               '>>> _y = torch.tensor([0, 2])\n'
                                               '>>> _v = kd_loss(_s, _t, _y, 4.0, 1.0).item()\n'
                                               ">>> assert abs(_v - 0.1278) > 0.001, 'your soft term is 16x too small at T = 4: multiply the KL term by T^2'\n"
                                               ">>> assert abs(_v - 0.5113) > 0.001, 'your soft term is 4x too small at T = 4: the factor is T^2, not T'\n"
                                               ">>> assert abs(_v - 2.2939) > 0.001, 'you computed KL(student || teacher): the soft term is KL(teacher || student), sum p_t (log p_t - log p_s)'\n"
                                               '>>> assert abs(_v - 4.09) > 0.001, "your loss is 2x too large for a batch of 2: average the KL over the batch, don\'t sum it"\n'
                                               '>>> assert abs(_v - 0.6817) > 0.001, "your KL is 3x too small for 3 classes: sum it over the classes (F.kl_div\'s reduction=\'batchmean\', not '
                                               '\'mean\')"\n'
                                               ">>> assert abs(_v - 2.045) < 0.001, f'with alpha = 1, T = 4 the loss here is 2.0450, got {_v:.4f}'\n"
                                               '>>> _v = kd_loss(_s, _t, _y, 4.0, 0.75).item()\n'
                                               '>>> assert abs(_v - 1.7693) > 0.001, "the cross-entropy term uses the student\'s logits at T = 1, not z_s / T"\n'
                                               ">>> assert abs(_v - 1.1241) > 0.001, 'alpha weighs the soft term and 1 - alpha the cross-entropy, not the other way round'\n"
                                               ">>> assert abs(_v - 1.738) < 0.001, f'with alpha = 0.75 the loss here is 1.7380, got {_v:.4f}'\n"
                                               '>>> _tg = _t.clone().requires_grad_(True)\n'
                                               '>>> kd_loss(_s.clone().requires_grad_(True), _tg, _y, 4.0, 0.5).backward()\n'
                                               '>>> assert _tg.grad is None or bool((_tg.grad == 0).all()), "a gradient flowed into the teacher\'s logits: detach them (teacher_logits.detach())"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
