OK_FORMAT = True

test = {   'name': 'q3',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': ">>> assert isinstance(gru_params, int) and (not isinstance(gru_params, bool)), f'gru_params should be an int, got {type(gru_params).__name__}'\n"
                                               ">>> assert gru_params != 10944, '10944 gives each gate one bias: nn.GRU has two bias vectors per layer, b_ih and b_hh, each 3 * 32'\n"
                                               '>>> assert gru_params != 9600, "9600 lets the second layer read the 16 inputs: it reads the first layer\'s 32 hidden units"\n'
                                               ">>> assert gru_params != 14848, '14848 counts 4 gate blocks, as in an LSTM: a GRU has 3 (reset, update, candidate)'\n"
                                               ">>> assert gru_params % 32 == 0, 'every parameter block of a GRU with 32 units has a multiple of 32 entries'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
