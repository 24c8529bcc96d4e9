OK_FORMAT = True

test = {   'name': 'q6',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(int8_layer_bytes, int), f'int8_layer_bytes should be an int, got {type(int8_layer_bytes).__name__}'\n"
                                               ">>> assert 0 < int8_layer_bytes < 4 * (128 * 256 + 128), 'a quantised layer is smaller than the float32 one'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
