OK_FORMAT = True

test = {   'name': 'q4',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> assert conv_transpose_size(4, 4, 2, 1) == 8, "DCGAN\'s k=4, s=2, p=1 block doubles the side"\n>>> assert conv_transpose_size(1, 4, 1, 0) == 4\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
