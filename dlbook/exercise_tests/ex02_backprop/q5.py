OK_FORMAT = True

test = {   'name': 'q5',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(p_after_first_step, (int, float)) and (not isinstance(p_after_first_step, bool)), f'p_after_first_step should be a number, got "
                                               "{type(p_after_first_step).__name__}'\n"
                                               ">>> assert p_after_first_step > 2.0, 'the gradient is negative, so the step increases p'\n"
                                               ">>> assert abs(p_after_first_step - 2.0316) > 0.001, '2.0316 skips the bias correction: divide m by 1 - beta1**t and v by 1 - beta2**t'\n"
                                               ">>> assert abs(p_after_first_step - 2.4) > 0.001, '2.4 is a plain gradient step: Adam divides m_hat by sqrt(v_hat) + eps'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
