OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> _l = cross_entropy(torch.tensor([[2.0, 0.0, 0.0]]), torch.tensor([0]))\n'
                                               ">>> assert isinstance(_l, torch.Tensor), f'cross_entropy should return a tensor, got {type(_l).__name__}'\n"
                                               ">>> assert abs(float(_l) - (math.log(math.exp(2) + 2) - 2)) < 1e-05, f'got {float(_l)}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
