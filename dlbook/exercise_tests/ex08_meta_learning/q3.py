OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> from torch import nn\n'
                                               '>>> _m = nn.Linear(1, 1, bias=False)\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _ = _m.weight.fill_(0.0)\n'
                                               '>>> _p = dict(_m.named_parameters())\n'
                                               '>>> _one = (torch.tensor([[1.0]]), torch.tensor([[1.0]]), torch.tensor([[1.0]]), torch.tensor([[1.0]]))\n'
                                               '>>> _g = first_order_meta_grad(_m, _p, [_one], 0.25)\n'
                                               '>>> assert isinstance(_g, dict) and set(_g) == {\'weight\'}, "return a dict with the model\'s parameter names"\n'
                                               '>>> assert abs(_g[\'weight\'].item() + 2.0) > 1e-06, "-2 is the query gradient at the original weights: take it at the adapted weights w\' = w - '
                                               'inner_lr * grad"\n'
                                               '>>> assert abs(_g[\'weight\'].item() + 0.5) > 1e-06, "-0.5 is the second-order MAML gradient (through dw\'/dw = 0.5): detach the adapted weights for '
                                               'first-order MAML"\n'
                                               '>>> assert abs(_g[\'weight\'].item() + 1.0) < 1e-06, f"expected -1.0, got {_g[\'weight\'].item()}"\n'
                                               '>>> _g2 = first_order_meta_grad(_m, _p, [_one, _one], 0.25)\n'
                                               '>>> assert abs(_g2[\'weight\'].item() + 2.0) > 1e-06, "two equal tasks gave twice the gradient: average over the tasks, don\'t sum"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
