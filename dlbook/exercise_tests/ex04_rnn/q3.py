OK_FORMAT = True

test = {   'name': 'q3',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(gru_params, int) and (not isinstance(gru_params, bool)), f'gru_params should be an int, got {type(gru_params).__name__}'\n"
                                               ">>> assert gru_params % 32 == 0, 'every parameter block of a GRU with 32 units has a multiple of 32 entries'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
