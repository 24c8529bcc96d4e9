OK_FORMAT = True

test = {   'name': 'q6',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(int8_layer_bytes, int), f'int8_layer_bytes should be an int, got {type(int8_layer_bytes).__name__}'\n"
                                               ">>> assert int8_layer_bytes != 128 * 256 + 128 * 4, 'you left out the scales: per channel there are 128 of them, float32'\n"
                                               ">>> assert int8_layer_bytes != 128 * 256 + 4 + 128 * 4, 'one scale is per tensor: per channel there is one float32 scale per row, 128 of them'\n"
                                               ">>> assert int8_layer_bytes != 128 * 256 + 128 * 4 + 128, 'the bias stays float32: 4 bytes per entry, not 1'\n"
                                               ">>> assert int8_layer_bytes != 128 * 256 + 128 * 4 + 128 * 4 + 4 * 128 * 256, 'count the stored int8 codes, not also the float32 weight they replace'\n"
                                               ">>> assert int8_layer_bytes != 8 * (128 * 256 + 128 * 4 + 128 * 4), 'that is bits: give bytes'\n"
                                               ">>> assert 0 < int8_layer_bytes < 4 * (128 * 256 + 128), 'a quantised layer is smaller than the float32 one, 4 * (128 * 256 + 128) bytes'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
