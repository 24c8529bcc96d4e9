OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import numpy as np\n'
                                               '>>> _g = output_term(np.array([0.5, 0.8]), np.array([1.0, 0.0]))\n'
                                               ">>> assert isinstance(_g, np.ndarray), f'output_term should return a NumPy array, got {type(_g).__name__}'\n"
                                               ">>> assert not np.allclose(_g, [-0.125, 0.128]), 'g has the wrong sign: g_j = -dE/d(beta_j) = y_hat_j (1 - y_hat_j) (y_j - y_hat_j), target minus "
                                               "output'\n"
                                               '>>> assert not np.allclose(_g, [0.5, -0.8]), "multiply by the sigmoid\'s derivative y_hat (1 - y_hat)"\n'
                                               '>>> assert not np.allclose(_g, 0), "the sigmoid\'s derivative is taken at the output: y_hat (1 - y_hat), not y (1 - y), which is 0 for labels 0 and '
                                               '1"\n'
                                               ">>> assert np.allclose(_g, [0.125, -0.128]), f'got {_g}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
