OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import numpy as np\n'
                                               '>>> _e = hidden_term(np.array([0.5, 0.5]), np.array([[1.0], [-2.0]]), np.array([0.4]))\n'
                                               ">>> assert isinstance(_e, np.ndarray), f'hidden_term should return a NumPy array, got {type(_e).__name__}'\n"
                                               ">>> assert np.allclose(_e, [0.1, -0.2]), f'got {_e}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
