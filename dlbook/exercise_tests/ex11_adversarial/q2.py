OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> import torch.nn.functional as F\n'
                                               '>>> from torch import nn\n'
                                               '>>> from dlbook import adversarial\n'
                                               '>>> _m = nn.Linear(4, 3).double()\n'
                                               '>>> _ = _m.weight.data.copy_(torch.tensor([[1.0, -2.0, 0.5, 3.0], [-1.0, 1.0, 2.0, -0.5], [0.5, 0.5, -1.0, 1.0]]))\n'
                                               '>>> _ = _m.bias.data.zero_()\n'
                                               '>>> _y = torch.tensor([0, 2])\n'
                                               '>>> def _sign(z):\n'
                                               '...     zr = z.clone().requires_grad_(True)\n'
                                               '...     return torch.autograd.grad(F.cross_entropy(_m(zr), _y), zr)[0].sign()\n'
                                               '>>> _ball = lambda v, c: c + (v - c).clamp(-0.1, 0.1)\n'
                                               '>>> _x = torch.tensor([[0.5, 0.3, 0.7, 0.4], [0.6, 0.45, 0.35, 0.55]], dtype=torch.float64)\n'
                                               '>>> _xa = _x + 0.08 * torch.tensor([[1.0, -1.0, 1.0, -1.0], [-1.0, 1.0, 1.0, -1.0]], dtype=torch.float64)\n'
                                               '>>> _x0, _xa0, _s = (_x.clone(), _xa.clone(), _sign(_xa))\n'
                                               '>>> _m.weight.grad = torch.full_like(_m.weight, 7.0)\n'
                                               '>>> _ = _m.train()\n'
                                               '>>> _out = pgd_step(_m, _xa, _x, _y, 0.1, 0.15)\n'
                                               '>>> assert isinstance(_out, torch.Tensor) and _out.shape == _x.shape, f"return a tensor of x\'s shape (2, 4), got {getattr(_out, \'shape\', _out)}"\n'
                                               '>>> assert _m.training, "pgd_step put the model in eval mode: leave the model\'s mode as it is (the caller chooses it)"\n'
                                               '>>> assert torch.equal(_m.weight.grad, torch.full_like(_m.weight, 7.0)) and _m.bias.grad is None, "pgd_step changed the model\'s parameter gradients '
                                               '(.grad): take the gradient with respect to the input only, torch.autograd.grad(loss, x_copy), not loss.backward()"\n'
                                               ">>> assert torch.equal(_x, _x0) and torch.equal(_xa, _xa0) and (not _x.requires_grad) and (not _xa.requires_grad), 'pgd_step changed x or x_adv: "
                                               "attack a copy, x_adv.detach().clone().requires_grad_(True)'\n"
                                               ">>> assert not _out.requires_grad, 'detach the result: pgd_step returns a plain tensor, not a node of the autograd graph'\n"
                                               '>>> _near = lambda v: bool(torch.allclose(_out.detach(), v, atol=1e-06))\n'
                                               ">>> assert not _near(_ball(_xa0 - 0.15 * _s, _x0).clamp(0, 1)), 'the attack steps up the loss: x_adv + alpha * sign(grad), not minus'\n"
                                               ">>> assert not _near((_xa0 + 0.15 * _s).clamp(0, 1)), 'project onto the L-inf ball around the clean x: x + clamp(x_adv + alpha * sign(grad) - x, -eps, "
                                               "eps)'\n"
                                               ">>> assert not _near(_ball(_xa0 + 0.15 * _s, _xa0).clamp(0, 1)), 'the ball is centred on the clean image x, not on the current x_adv: x + "
                                               "clamp(stepped - x, -eps, eps)'\n"
                                               ">>> assert _near(_ball(_xa0 + 0.15 * _s, _x0).clamp(0, 1)), f'expected clamp(x + clamp(x_adv + 0.15 sign(grad) - x, -0.1, 0.1), 0, 1), got {_out}'\n"
                                               '>>> _xo = torch.tensor([[1.25, -0.2, 0.5, 0.96], [0.5, 1.3, -0.15, 0.03]], dtype=torch.float64)\n'
                                               '>>> _so = _sign(_xo)\n'
                                               '>>> _out = pgd_step(_m, _xo, _xo, _y, 0.1, 0.05)\n'
                                               '>>> _near = lambda v: bool(torch.allclose(_out.detach(), v, atol=1e-06))\n'
                                               ">>> assert not _near(_ball((_xo + 0.05 * _so).clamp(0, 1), _xo)), 'clip to the box [0, 1] last, after the projection onto the ball: where x lies "
                                               "outside the box the result must still be a valid image'\n"
                                               ">>> assert not _near(_ball(_xo + 0.05 * _so, _xo)), 'clip the result to the pixel box [0, 1] (.clamp(0, 1)) after the projection onto the ball'\n"
                                               ">>> assert _near(_ball(_xo + 0.05 * _so, _xo).clamp(0, 1)), f'expected clamp(x + clamp(x_adv + 0.05 sign(grad) - x, -0.1, 0.1), 0, 1), got {_out}'\n"
                                               '>>> _xa = _x0.clone()\n'
                                               '>>> for _ in range(3):\n'
                                               '...     _xa = pgd_step(_m, _xa, _x0, _y, 0.1, 0.04)\n'
                                               ">>> assert torch.allclose(_xa, adversarial.pgd(_m, _x0, _y, 0.1, 0.04, 3, random_start=False), atol=1e-06), 'three of your steps from x should equal "
                                               "dlbook.adversarial.pgd(model, x, y, 0.1, 0.04, 3, random_start=False)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
