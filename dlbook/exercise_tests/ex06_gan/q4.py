OK_FORMAT = True

test = {   'name': 'q4',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert conv_transpose_size(4, 4, 2, 1) != 10, 'conv_transpose_size(4, 4, 2, 1) gave 10: n inputs are n - 1 strides apart, (n - 1) * s'\n"
                                               ">>> assert conv_transpose_size(4, 4, 2, 1) != 9, 'conv_transpose_size(4, 4, 2, 1) gave 9: padding is removed from both sides, - 2p'\n"
                                               '>>> assert conv_transpose_size(4, 4, 2, 1) == 8, "DCGAN\'s k=4, s=2, p=1 block doubles the side"\n'
                                               '>>> assert conv_transpose_size(1, 4, 1, 0) == 4\n'
                                               ">>> assert conv_transpose_size(4, 3, 2, 1, 1) == 8, f'conv_transpose_size(4, 3, 2, 1, output_padding=1) should be 8, got {conv_transpose_size(4, 3, 2, "
                                               "1, 1)}: add output_padding'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
