OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _w, _b = perceptron_update(torch.zeros(2), 0.0, torch.tensor([1.0, 1.0]), 0, lr=1.0)\n'
                                               ">>> assert torch.allclose(torch.as_tensor(_w), torch.tensor([-1.0, -1.0])), f'w should become [-1, -1], got {_w}'\n"
                                               ">>> assert abs(float(_b) + 1.0) < 1e-06, f'b should become -1, got {_b}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
