OK_FORMAT = True

test = {   'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> _o = conv_output_size(32, 5)\n'
                                               ">>> assert isinstance(_o, int), f'conv_output_size should return an int, got {type(_o).__name__}'\n"
                                               '>>> assert _o == 28, f"LeNet-5\'s first layer maps 32 to 28, got {_o}"\n'
                                               '>>> assert conv_output_size(224, 11, s=4, p=2) == 55\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
