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
                                               ">>> assert abs(_new['weight'].item() - 1.4) < 1e-06 and abs(_new['bias'].item() - 0.4) < 1e-06, f'got {_new}'\n"
                                               '>>> assert _m.weight.item() == 1.0, "the model\'s own weights must not change"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
