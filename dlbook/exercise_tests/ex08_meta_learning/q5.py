OK_FORMAT = True

test = {   'name': 'q5',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(best_fixed_mse, float), f'best_fixed_mse should be a float, got {type(best_fixed_mse).__name__}'\n"
                                               ">>> assert 0 < best_fixed_mse < 25, '|y| <= A <= 5, so the mean squared error of the best fixed f lies between 0 and 25'\n"
                                               ">>> assert abs(best_fixed_mse - 4.252) > 0.02, '4.25 is the error of predicting 0: with the phase over a quarter period E[y | x] = E[A] (2 / pi) (sin "
                                               "x - cos x) is not 0'\n"
                                               '>>> assert abs(best_fixed_mse - 3.006) > 0.02, "3.006 is the chapter\'s answer for phase ~ U[0, pi]: here the phase is U[0, pi/2], so E[sin(x - '
                                               'phase)] changes"\n'
                                               ">>> assert abs(best_fixed_mse - 0.805) > 0.02, '0.81 subtracts E[A^2] (2 / pi)^2 E[(sin x - cos x)^2]: the best f uses the mean amplitude, E[f^2] = "
                                               "E[A]^2 (2 / pi)^2 E[(sin x - cos x)^2]'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
