OK_FORMAT = True

test = {   'name': 'q2',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(d_star_at_0, float), f'd_star_at_0 should be a float, got {type(d_star_at_0).__name__}'\n"
                                               ">>> assert d_star_at_0 < 1, 'D* is a probability, below 1: D*(x) = p_data(x) / (p_data(x) + p_g(x)), not the ratio p_data / p_g'\n"
                                               ">>> assert abs(d_star_at_0 - 0.5) > 0.001, 'D* = 1/2 only where p_g = p_data: here p_g = N(1, 1) differs from p_data = N(0, 1) at x = 0'\n"
                                               ">>> assert d_star_at_0 > 0.5, 'at x = 0 the data is denser than the generator, so D* is above 1/2: D*(x) = p_data(x) / (p_data(x) + p_g(x)), not p_g / "
                                               "(p_data + p_g)'\n"
                                               ">>> assert abs(d_star_at_0 - 0.7311) > 0.001, '0.731 drops the 1/2 of the Gaussian exponent: the density is exp(-(x - mu)^2 / 2) / sqrt(2 pi)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
