OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> _o = conv_output_size(32, 5)\n'
                                               ">>> assert isinstance(_o, int), f'conv_output_size should return an int, got {type(_o).__name__}: use floor division //'\n"
                                               '>>> assert _o == 28, f"LeNet-5\'s first layer maps 32 to 28, got {_o}"\n'
                                               ">>> assert conv_output_size(224, 11, s=4, p=2) != 54, 'conv_output_size(224, 11, s=4, p=2) gave 54: padding is added on both sides, n + 2p'\n"
                                               '>>> assert conv_output_size(224, 11, s=4, p=2) == 55, f"AlexNet\'s first layer maps 224 to 55, got {conv_output_size(224, 11, s=4, p=2)}"\n'
                                               ">>> assert conv_output_size(7, 3, d=2) != 5, 'conv_output_size(7, 3, d=2) gave 5: a kernel of size k with dilation d spans d(k - 1) + 1 pixels'\n"
                                               ">>> assert conv_output_size(7, 3, d=2) == 3, f'conv_output_size(7, 3, d=2) should be 3, got {conv_output_size(7, 3, d=2)}'\n"
                                               '>>> try:\n'
                                               '...     _ = conv_output_size(3, 5)\n'
                                               '... except ValueError:\n'
                                               '...     pass\n'
                                               '... else:\n'
                                               "...     raise AssertionError('conv_output_size(3, 5) returned a value: a kernel of 5 does not fit an input of 3; raise a ValueError')\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
