OK_FORMAT = True

test = {   'name': 'q4',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(lenet5_params, int) and (not isinstance(lenet5_params, bool)), f'lenet5_params should be an int, got "
                                               "{type(lenet5_params).__name__}'\n"
                                               ">>> assert 50000 < lenet5_params < 70000, 'the 400 -> 120 layer alone has 48,120 parameters'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
