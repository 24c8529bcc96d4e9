OK_FORMAT = True

test = {   'name': 'q5',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _c = torch.tensor([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])\n'
                                               '>>> _s = torch.cat([torch.zeros(50, 2), torch.tensor([[5.0, 0.25]]).repeat(50, 1)])\n'
                                               '>>> _m = modes_covered(_s, _c, 0.1)\n'
                                               ">>> assert isinstance(_m, int), f'modes_covered should return an int, got {type(_m).__name__}: convert the count with int(...)'\n"
                                               ">>> assert _m != 1, 'the samples 2.5 std from (5, 0) were not counted: a sample counts within 3 std of its centre'\n"
                                               ">>> assert _m == 2, f'two of the three modes hold samples, got {_m}'\n"
                                               '>>> _far = modes_covered(torch.tensor([[0.0, 4.0]]).repeat(50, 1), _c, 0.1)\n'
                                               ">>> assert _far == 0, f'50 samples 10 std from their nearest centre (0, 5) covered {_far} mode: only samples within 3 std of their nearest centre "
                                               "count'\n"
                                               '>>> _few = modes_covered(torch.cat([torch.zeros(995, 2), torch.tensor([[5.0, 0.0]]).repeat(5, 1)]), _c, 0.1)\n'
                                               ">>> assert _few == 1, f'got {_few}: a mode is covered with at least 1% of all the samples, and 5 of 1000 is 0.5%'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
