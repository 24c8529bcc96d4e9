OK_FORMAT = True

test = {   'name': 'q2',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _X = torch.tensor([[1.0], [2.0]])\n'
                                               '>>> _y = torch.tensor([2.0, 4.0])\n'
                                               '>>> _w0 = torch.zeros(1)\n'
                                               '>>> _w, _b = gd_step(_w0, 0.0, _X, _y, 0.1)\n'
                                               ">>> assert torch.equal(_w0, torch.zeros(1)), 'gd_step changed w in place: return w - lr * grad_w, a new tensor (no -= or .sub_())'\n"
                                               ">>> assert not torch.allclose(_w, torch.tensor([2.0])), 'w moved 2x too far for n = 2 examples: the MSE averages over the examples, so its gradient "
                                               "has the factor 2/n'\n"
                                               ">>> assert torch.allclose(_w, torch.tensor([1.0])), f'expected w = [1.0], got {_w}'\n"
                                               ">>> assert abs(float(_b) - 0.6) < 1e-06, f'expected b = 0.6, got {float(_b)}'\n"
                                               '>>> _w, _b = gd_step(torch.ones(1), 1.0, _X, _y, 0.1)\n'
                                               ">>> assert not torch.allclose(_w, torch.tensor([1.5])), 'with b = 1 the step ignored the bias: the prediction is X @ w + b, so the residual is X @ w + "
                                               "b - y'\n"
                                               ">>> assert torch.allclose(_w, torch.tensor([1.2])) and abs(float(_b) - 1.1) < 1e-06, f'from w = [1], b = 1 expected w = [1.2], b = 1.1, got {_w}, "
                                               "{float(_b)}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
