OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import copy\n'
                                               '>>> import torch\n'
                                               '>>> from torch import nn\n'
                                               '>>> _ = torch.manual_seed(0)\n'
                                               '>>> _critic = nn.Linear(2, 1)\n'
                                               '>>> _before = copy.deepcopy(_critic)\n'
                                               '>>> _real, _fake = (torch.randn(8, 2), torch.randn(8, 2) + 1)\n'
                                               '>>> _opt = torch.optim.RMSprop(_critic.parameters(), lr=0.1)\n'
                                               '>>> _loss = critic_update(_critic, _opt, _real, _fake, c=0.05)\n'
                                               ">>> assert isinstance(_loss, float), f'critic_update should return a float, got {type(_loss).__name__}: return loss.item()'\n"
                                               '>>> _want = (_before(_fake).mean() - _before(_real).mean()).item()\n'
                                               ">>> assert abs(_loss - _want) < 1e-05, f'the loss before the step should be mean critic(fake) - mean critic(real) = {_want:.4f} (no sigmoid, no log), "
                                               "got {_loss:.4f}'\n"
                                               ">>> assert all((p.abs().max().item() <= 0.05 + 1e-07 for p in _critic.parameters())), 'a weight lies outside [-c, c]: clip after optimizer.step(), so "
                                               "that the step cannot undo the clipping'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
