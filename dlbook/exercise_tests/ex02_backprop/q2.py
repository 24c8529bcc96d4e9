OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import numpy as np\n'
                                               '>>> _b, _W, _g = (np.array([0.5, 0.5]), np.array([[1.0], [-2.0]]), np.array([0.4]))\n'
                                               '>>> try:\n'
                                               '...     _e = hidden_term(_b, _W, _g)\n'
                                               '... except ValueError as _err:\n'
                                               "...     raise AssertionError(f'hidden_term failed on b (2,), W (2, 1), g (1,) ({_err}): the sum over j is g @ W.T, (l,) @ (l, q) -> (q,)') from None\n"
                                               ">>> assert isinstance(_e, np.ndarray), f'hidden_term should return a NumPy array, got {type(_e).__name__}'\n"
                                               '>>> assert not np.allclose(_e, [0.4, -0.8]), "multiply by the sigmoid\'s derivative b_h (1 - b_h)"\n'
                                               ">>> assert np.allclose(_e, [0.1, -0.2]), f'got {_e}'\n"
                                               '>>> _B, _G = (np.full((3, 2), 0.5), np.full((3, 1), 0.4))\n'
                                               '>>> try:\n'
                                               '...     _E = hidden_term(_B, _W, _G)\n'
                                               '... except ValueError as _err:\n'
                                               "...     raise AssertionError(f'hidden_term failed on a batch, b (3, 2) and g (3, 1) ({_err}): use g @ W.T, which works for g of shape (l,) and (m, "
                                               "l)') from None\n"
                                               ">>> assert np.shape(_E) == (3, 2) and np.allclose(_E, [[0.1, -0.2]] * 3), f'for a batch of 3 expected 3 rows [0.1, -0.2], got {_E}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
