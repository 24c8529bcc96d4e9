OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import numpy as np\n'
                                               '>>> _x, _y = (np.array([1.0, 0.0]), np.array([1.0]))\n'
                                               '>>> _V, _gam, _W, _th = (np.zeros((2, 2)), np.zeros(2), np.zeros((2, 1)), np.zeros(1))\n'
                                               '>>> _out = bp_step(_x, _y, _V, _gam, _W, _th, lr=1.0)\n'
                                               ">>> assert isinstance(_out, tuple) and len(_out) == 4, 'bp_step should return (V, gamma, W, theta)'\n"
                                               ">>> assert not (np.any(_V) or np.any(_gam) or np.any(_W) or np.any(_th)), 'bp_step changed its inputs in place: build new arrays (W + lr * np.outer(b, "
                                               "g)), no += on V, gamma, W or theta'\n"
                                               '>>> assert np.shape(_out[2]) == (2, 1), f"the new W has shape {np.shape(_out[2])}, not W\'s (2, 1): delta w_hj = lr * g_j * b_h is np.outer(b, g), '
                                               'shape (q, l)"\n'
                                               ">>> assert np.allclose(_out[2], [[0.0625], [0.0625]]) and np.allclose(_out[3], [-0.125]), f'got W={_out[2]}, theta={_out[3]}'\n"
                                               ">>> assert np.allclose(_out[0], 0) and np.allclose(_out[1], 0), 'with W = 0 every e_h is 0 and V, gamma must not move: compute e_h with the old W, "
                                               "before you update W'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
