OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import numpy as np\n'
                                               '>>> _g = output_term(np.array([0.5, 0.8]), np.array([1.0, 0.0]))\n'
                                               ">>> assert isinstance(_g, np.ndarray), f'output_term should return a NumPy array, got {type(_g).__name__}'\n"
                                               ">>> assert np.allclose(_g, [0.125, -0.128]), f'got {_g}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
