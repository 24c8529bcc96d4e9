OK_FORMAT = True

test = {   'name': 'q4',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(n_params, int) and (not isinstance(n_params, bool)), f'n_params should be an int, got {type(n_params).__name__}'\n"
                                               ">>> assert n_params != 3392, '3392 counts the weights only: each Linear(in, out) also has out biases'\n"
                                               ">>> assert n_params != 3136, '3136 leaves out a layer: the last Linear(32, 10) has 32 * 10 weights and 10 biases too'\n"
                                               ">>> assert n_params != 2410, '2410 leaves out the middle Linear(32, 32): there are two hidden layers, 32 * 32 weights and 32 biases between them'\n"
                                               ">>> assert n_params != 3395, 'each Linear(in, out) has out biases (one per output unit), not one per layer'\n"
                                               ">>> assert n_params > 64 * 32, 'the first layer alone has 64 * 32 weights'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
