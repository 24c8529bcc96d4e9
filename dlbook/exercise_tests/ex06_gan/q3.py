OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> from torch import nn\n'
                                               '>>> _ = torch.manual_seed(0)\n'
                                               '>>> _critic = nn.Linear(2, 1)\n'
                                               '>>> _opt = torch.optim.RMSprop(_critic.parameters(), lr=0.1)\n'
                                               '>>> _loss = critic_update(_critic, _opt, torch.randn(8, 2), torch.randn(8, 2) + 1, c=0.05)\n'
                                               ">>> assert isinstance(_loss, float), f'critic_update should return a float, got {type(_loss).__name__}'\n"
                                               ">>> assert all((p.abs().max().item() <= 0.05 + 1e-07 for p in _critic.parameters())), 'clip the weights to [-c, c]'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
