OK_FORMAT = True

test = {   'name': 'q3',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(w_two_steps, (int, float)) and (not isinstance(w_two_steps, bool)), f'w_two_steps should be a number, got "
                                               "{type(w_two_steps).__name__}'\n"
                                               '>>> assert w_two_steps > 0, "w moved away from the minimum at 3: step against the gradient, w <- w - lr * f\'(w)"\n'
                                               ">>> assert abs(w_two_steps - 0.6) > 1e-06, '0.6 is w after one step: take a second step from w_1 = 0.6'\n"
                                               '>>> assert abs(w_two_steps - 0.57) > 1e-06, "0.57 uses f\'(w) = w - 3: the derivative of (w - 3)^2 is 2(w - 3)"\n'
                                               ">>> assert w_two_steps < 3, 'each step moves w from 0 towards the minimum at 3'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
