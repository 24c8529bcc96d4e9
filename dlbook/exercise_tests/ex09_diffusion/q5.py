OK_FORMAT = True

test = {   'name': 'q5',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(t_half, int) and (not isinstance(t_half, bool)), f't_half should be an int, got {type(t_half).__name__}'\n"
                                               ">>> assert 1 <= t_half <= 1000, f'a step of the chain lies in 1 .. 1000, got {t_half}'\n"
                                               ">>> assert t_half != 259, '259 is the 0-based index of that step: count the steps from 1, as in the paper (index t is step t + 1)'\n"
                                               '>>> assert t_half != 369, "369 is where sqrt(alpha_bar_t), the coefficient of x0, falls below 1/2: the signal\'s variance is alpha_bar_t itself"\n'
                                               ">>> assert t_half != 220, '220 is where 1 - (beta_1 + ... + beta_t) falls below 1/2, a first-order approximation: take the product of the (1 - "
                                               "beta_s)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
