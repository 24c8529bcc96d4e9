OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _v = mse(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.0, 0.0]))\n'
                                               ">>> assert isinstance(_v, torch.Tensor), f'mse should return a tensor, got {type(_v).__name__}'\n"
                                               ">>> assert abs(float(_v) - 13 / 3) < 1e-06, f'mse([1,2,3], [1,0,0]) should be 13/3, got {float(_v)}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
