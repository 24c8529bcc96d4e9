OK_FORMAT = True

test = {   'name': 'q4',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(n_params, int) and (not isinstance(n_params, bool)), f'n_params should be an int, got {type(n_params).__name__}'\n"
                                               ">>> assert n_params != 3392, '3392 counts the weights only: each Linear(in, out) also has out biases'\n"
                                               ">>> assert n_params != 3136, '3136 leaves out a layer: the last Linear(32, 10) has 32 * 10 weights and 10 biases too'\n"
                                               ">>> assert n_params > 64 * 32, 'the first layer alone has 64 * 32 weights'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
