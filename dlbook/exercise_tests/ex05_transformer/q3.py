OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(encoder_layer_params, int), f'give an int, got {type(encoder_layer_params).__name__}'\n"
                                               ">>> assert 3000000 < encoder_layer_params < 3300000, 'about 3.1 million: 4E^2 for attention, 2 E d_ff for the FFN, plus biases and norms'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
