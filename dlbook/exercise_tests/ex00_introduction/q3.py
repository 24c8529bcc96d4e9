OK_FORMAT = True

test = {   'name': 'q3',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(w_two_steps, (int, float)) and (not isinstance(w_two_steps, bool)), f'w_two_steps should be a number, got "
                                               "{type(w_two_steps).__name__}'\n"
                                               ">>> assert 0 < w_two_steps < 3, 'each step moves w from 0 towards the minimum at 3'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
