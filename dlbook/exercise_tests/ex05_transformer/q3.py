OK_FORMAT = True

test = {   'name': 'q3',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(encoder_layer_params, int), f'give an int, got {type(encoder_layer_params).__name__}'\n"
                                               ">>> assert encoder_layer_params != 3147776, 'you left out the biases: 4 of the attention projections (E each), d_ff and E of the FFN'\n"
                                               ">>> assert encoder_layer_params != 3150336, 'you left out the two LayerNorms (a scale and a shift of E each)'\n"
                                               ">>> assert encoder_layer_params != 3151360, 'there are two LayerNorms per layer, each with a scale and a shift'\n"
                                               ">>> assert encoder_layer_params != 2889728, 'you left out the output projection of the attention: four E x E projections, Q, K, V and out'\n"
                                               ">>> assert encoder_layer_params != 2103296, 'the FFN has two linear layers, E -> d_ff and d_ff -> E'\n"
                                               ">>> assert 3000000 < encoder_layer_params < 3300000, 'about 3.1 million: 4E^2 for attention, 2 E d_ff for the FFN, plus biases and norms'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
