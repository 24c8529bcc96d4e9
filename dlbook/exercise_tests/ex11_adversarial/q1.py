OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> import torch.nn.functional as F\n'
                                               '>>> from torch import nn\n'
                                               '>>> _m = nn.Linear(4, 3).double()\n'
                                               '>>> _ = _m.weight.data.copy_(torch.tensor([[1.0, -2.0, 0.5, 3.0], [-1.0, 1.0, 2.0, -0.5], [0.5, 0.5, -1.0, 1.0]]))\n'
                                               '>>> _ = _m.bias.data.zero_()\n'
                                               '>>> _x = torch.tensor([[0.05, 0.95, 0.97, 0.02], [0.98, 0.04, 0.5, 0.96]], dtype=torch.float64)\n'
                                               '>>> _x0 = _x.clone()\n'
                                               '>>> _y, _t = (torch.tensor([0, 2]), torch.tensor([1, 1]))\n'
                                               '>>> def _grad(labels):\n'
                                               '...     xr = _x0.clone().requires_grad_(True)\n'
                                               '...     return torch.autograd.grad(F.cross_entropy(_m(xr), labels), xr)[0]\n'
                                               '>>> _g, _gt = (_grad(_y), _grad(_t))\n'
                                               '>>> _m.weight.grad = torch.full_like(_m.weight, 7.0)\n'
                                               '>>> _ = _m.train()\n'
                                               '>>> _out = fgsm(_m, _x, _y, 0.1)\n'
                                               '>>> assert isinstance(_out, torch.Tensor) and _out.shape == _x.shape, f"return a tensor of x\'s shape (2, 4), got {getattr(_out, \'shape\', _out)}"\n'
                                               '>>> assert _m.training, "fgsm put the model in eval mode: leave the model\'s mode as it is (the caller chooses it)"\n'
                                               '>>> assert torch.equal(_m.weight.grad, torch.full_like(_m.weight, 7.0)) and _m.bias.grad is None, "fgsm changed the model\'s parameter gradients '
                                               '(.grad): take the gradient with respect to the input only, torch.autograd.grad(loss, x_copy), not loss.backward()"\n'
                                               ">>> assert not _x.requires_grad and torch.equal(_x, _x0), 'fgsm changed x: attack a copy, x.detach().clone().requires_grad_(True)'\n"
                                               ">>> assert not _out.requires_grad, 'detach the result: fgsm returns a plain tensor, not a node of the autograd graph'\n"
                                               '>>> _near = lambda v: bool(torch.allclose(_out.detach(), v, atol=1e-06))\n'
                                               ">>> assert not _near((_x0 - 0.1 * _g.sign()).clamp(0, 1)), 'untargeted FGSM steps up the loss of the true label: x + eps * sign(grad), not minus'\n"
                                               ">>> assert not _near((_x0 + 0.1 * _g).clamp(0, 1)), 'take the sign of the gradient: x + eps * grad.sign(), so that every pixel moves by eps'\n"
                                               ">>> assert not _near(_x0 + 0.1 * _g.sign()), 'clip the result to the pixel box [0, 1] (.clamp(0, 1))'\n"
                                               ">>> assert _near((_x0 + 0.1 * _g.sign()).clamp(0, 1)), f'expected clamp(x + 0.1 sign(grad), 0, 1), got {_out}'\n"
                                               '>>> _ = _m.eval()\n'
                                               '>>> _out = fgsm(_m, _x, _t, 0.1, targeted=True)\n'
                                               '>>> assert not _m.training, "fgsm put the model in train mode: leave the model\'s mode as it is (the caller chooses it)"\n'
                                               ">>> assert not torch.allclose(_out.detach(), (_x0 + 0.1 * _gt.sign()).clamp(0, 1)), 'a targeted attack steps down the loss of the target class: x - "
                                               "eps * sign(grad)'\n"
                                               '>>> assert torch.allclose(_out.detach(), (_x0 - 0.1 * _gt.sign()).clamp(0, 1)), f"expected clamp(x - 0.1 sign(grad of the target\'s loss), 0, 1), got '
                                               '{_out}"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
