OK_FORMAT = True

test = {   'name': 'q4',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(lenet5_params, int) and (not isinstance(lenet5_params, bool)), f'lenet5_params should be an int, got "
                                               "{type(lenet5_params).__name__}'\n"
                                               ">>> assert lenet5_params != 61470, '61470 counts the weights only: every Conv2d and Linear layer also has one bias per output map or unit'\n"
                                               ">>> assert lenet5_params != 59706, '59706 gives each C3 map one 5x5 kernel: Conv2d(6, 16, 5) connects every output map to all 6 input maps, 6 * 5 * 5 "
                                               "weights per map'\n"
                                               ">>> assert lenet5_params != 61750, '61750 gives the pooling layers weights (the 1998 original): here 2x2 pooling has no parameters'\n"
                                               ">>> assert lenet5_params != 60856, '60856 leaves out the last layer, 84 -> 10: 84 * 10 weights and 10 biases'\n"
                                               ">>> assert 50000 < lenet5_params < 70000, 'the 400 -> 120 layer alone has 48,120 parameters'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
