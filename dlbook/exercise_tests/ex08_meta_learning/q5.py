OK_FORMAT = True

test = {   'name': 'q5',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(zero_predictor_mse, float), f'zero_predictor_mse should be a float, got {type(zero_predictor_mse).__name__}'\n"
                                               ">>> assert 0 < zero_predictor_mse < 25, '|y| <= A <= 5, so the mean of y^2 lies between 0 and 25'\n"
                                               ">>> assert abs(zero_predictor_mse - 8.503) > 0.02, '8.50 is E[A^2] alone: multiply by E[sin^2(x - phase)] = 1/2 (the phase is uniform over a whole "
                                               "period of sin^2)'\n"
                                               ">>> assert abs(zero_predictor_mse - 3.251) > 0.02, '3.25 uses E[A]^2: the mean of A^2 for A ~ U[a, b] is (b^3 - a^3) / (3 (b - a)), not ((a + b) / "
                                               "2)^2'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
