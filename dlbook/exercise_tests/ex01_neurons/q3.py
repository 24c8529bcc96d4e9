OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _w0 = torch.zeros(2)\n'
                                               '>>> _w, _b = perceptron_update(_w0, 0.0, torch.tensor([1.0, 1.0]), 0, lr=1.0)\n'
                                               ">>> assert torch.equal(_w0, torch.zeros(2)), 'perceptron_update changed w in place: return w + delta * x, a new tensor (no += or .add_())'\n"
                                               ">>> assert not (torch.allclose(torch.as_tensor(_w), torch.zeros(2)) and abs(float(_b)) < 1e-09), 'w @ x + b = 0 predicts 1 (the rule is >= 0), so this "
                                               "example with label 0 is a mistake and w and b must change'\n"
                                               ">>> assert abs(float(_b)) > 1e-09, 'update the bias too: b <- b + lr * (y - y_hat)'\n"
                                               ">>> assert torch.allclose(torch.as_tensor(_w), torch.tensor([-1.0, -1.0])), f'w should become [-1, -1], got {_w}'\n"
                                               ">>> assert abs(float(_b) + 1.0) < 1e-06, f'b should become -1, got {_b}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
