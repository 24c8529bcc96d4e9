OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import numpy as np\n'
                                               '>>> _x, _y = (np.array([1.0, 0.0]), np.array([1.0]))\n'
                                               '>>> _out = bp_step(_x, _y, np.zeros((2, 2)), np.zeros(2), np.zeros((2, 1)), np.zeros(1), lr=1.0)\n'
                                               ">>> assert isinstance(_out, tuple) and len(_out) == 4, 'bp_step should return (V, gamma, W, theta)'\n"
                                               ">>> assert np.allclose(_out[2], [[0.0625], [0.0625]]) and np.allclose(_out[3], [-0.125]), f'got W={_out[2]}, theta={_out[3]}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
