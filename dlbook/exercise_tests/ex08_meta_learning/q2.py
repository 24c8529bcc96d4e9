OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> from torch import nn\n'
                                               '>>> _m = nn.Linear(1, 1)\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _ = _m.weight.fill_(1.0)\n'
                                               '...     _ = _m.bias.fill_(0.0)\n'
                                               '>>> _p = dict(_m.named_parameters())\n'
                                               '>>> _new = inner_step(_m, _p, torch.tensor([[1.0]]), torch.tensor([[3.0]]), 0.1)\n'
                                               '>>> assert isinstance(_new, dict) and set(_new) == {\'weight\', \'bias\'}, "return a dict with the model\'s parameter names"\n'
                                               ">>> assert abs(_new['weight'].item() - 0.6) > 1e-06, 'the weights moved up the gradient: step against it, theta - lr * grad'\n"
                                               ">>> assert abs(_new['weight'].item() - 1.4) < 1e-06 and abs(_new['bias'].item() - 0.4) < 1e-06, f'got {_new}'\n"
                                               '>>> assert _m.weight.item() == 1.0, "the model\'s own weights must not change"\n'
                                               ">>> assert _new['weight'].requires_grad, 'the adapted weights are cut from the graph: keep the step differentiable, torch.autograd.grad(loss, params, "
                                               "create_graph=True), no .detach()'\n"
                                               ">>> _d, = torch.autograd.grad(_new['weight'].sum(), _p['weight'])\n"
                                               '>>> assert abs(_d.item() - 1.0) > 1e-06, "d w\'/d w came out 1, not 1 - lr * d2L/dw2 = 0.8: pass create_graph=True to torch.autograd.grad so that the '
                                               'step is differentiable"\n'
                                               '>>> _two = inner_step(_m, _p, torch.tensor([[1.0], [2.0]]), torch.tensor([[3.0], [2.0]]), 0.1)\n'
                                               ">>> assert abs(_two['bias'].item() - 0.4) > 1e-06, 'on a batch of 2 the step is 2x too large: take the mean squared error (F.mse_loss), not the sum'\n"
                                               '>>> assert abs(_two[\'bias\'].item() - 0.2) < 1e-06, f"on x = [1, 2], y = [3, 2] the bias should move to 0.2, got {_two[\'bias\'].item()}"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
