OK_FORMAT = True

test = {   'name': 'q4',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _x = torch.randint(0, 10, (500, 8), generator=torch.Generator().manual_seed(7))\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _out = reverser.eval()(_x)\n'
                                               ">>> assert _out.shape == (500, 8, 10), f'logits should have shape (500, 8, 10), got {tuple(_out.shape)}'\n"
                                               '>>> _acc = (_out.argmax(-1) == _x.flip(1)).float().mean().item()\n'
                                               ">>> assert _acc >= 0.95, f'token accuracy {_acc:.3f} is below 0.95'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
