OK_FORMAT = True

test = {   'name': 'q4',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> import dlbook\n'
                                               '>>> _x, _y = dlbook.data.make_line(n=200, slope=2.0, intercept=-1.0, noise=0.1, seed=0)\n'
                                               '>>> _loss = float(((_x.reshape(-1) * w_fit.reshape(-1)[0] + torch.as_tensor(b_fit) - _y.reshape(-1)) ** 2).mean())\n'
                                               ">>> assert _loss < 0.015, f'training MSE {_loss:.4f} is not below 0.015'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
