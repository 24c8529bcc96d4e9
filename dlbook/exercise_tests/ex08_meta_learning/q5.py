OK_FORMAT = True

test = {   'name': 'q5',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(zero_predictor_mse, float), f'zero_predictor_mse should be a float, got {type(zero_predictor_mse).__name__}'\n"
                                               ">>> assert 0 < zero_predictor_mse < 25, '|y| <= A <= 5, so the mean of y^2 lies between 0 and 25'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
