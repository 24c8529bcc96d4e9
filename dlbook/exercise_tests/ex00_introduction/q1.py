OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _v = mse(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.0, 0.0]))\n'
                                               ">>> assert isinstance(_v, torch.Tensor), f'mse should return a 0-d tensor, got {type(_v).__name__}: keep the result a tensor (no .item() or float())'\n"
                                               '>>> assert abs(float(_v) - 13) > 1e-06, "mse([1, 2, 3], [1, 0, 0]) gave 13, 3x too large for 3 elements: average over the elements (.mean()), don\'t '
                                               'sum"\n'
                                               ">>> assert abs(float(_v) - 13 / 3) < 1e-06, f'mse([1, 2, 3], [1, 0, 0]) should be 13/3, got {float(_v)}'\n"
                                               '>>> try:\n'
                                               '...     _ = mse(torch.zeros(4, 1), torch.zeros(4))\n'
                                               '... except ValueError:\n'
                                               '...     pass\n'
                                               '... else:\n'
                                               "...     raise AssertionError('mse(zeros(4, 1), zeros(4)) returned a value: (4, 1) and (4,) broadcast to (4, 4); raise a ValueError when the shapes "
                                               "differ')\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
