OK_FORMAT = True

test = {   'name': 'q2',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _X = torch.tensor([[1.0], [2.0]])\n'
                                               '>>> _y = torch.tensor([2.0, 4.0])\n'
                                               '>>> _w, _b = gd_step(torch.zeros(1), 0.0, _X, _y, 0.1)\n'
                                               ">>> assert torch.allclose(_w, torch.tensor([1.0])), f'expected w = [1.0], got {_w}'\n"
                                               ">>> assert abs(float(_b) - 0.6) < 1e-06, f'expected b = 0.6, got {float(_b)}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
