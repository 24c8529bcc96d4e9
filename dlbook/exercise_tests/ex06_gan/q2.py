OK_FORMAT = True

test = {   'name': 'q2',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(d_star_at_0, float), f'd_star_at_0 should be a float, got {type(d_star_at_0).__name__}'\n"
                                               ">>> assert d_star_at_0 < 1, 'D* is a probability, below 1: D*(x) = p_data(x) / (p_data(x) + p_g(x)), not the ratio p_data / p_g'\n"
                                               ">>> assert d_star_at_0 > 0.5, 'at x = 0 the data is denser than the generator, so D* is above 1/2: D*(x) = p_data(x) / (p_data(x) + p_g(x)), not p_g / "
                                               "(p_data + p_g)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
