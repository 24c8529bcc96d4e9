OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook\n'
                                               '>>> import torch\n'
                                               '>>> from dlbook import seqdata\n'
                                               '>>> _x, _y = seqdata.first_symbol_recall(1000, 30, seed=1)\n'
                                               '>>> _acc = dlbook.accuracy(dlbook.predict(model, _x), _y).item()\n'
                                               ">>> assert _acc >= 0.95, f'accuracy {_acc:.3f} is below 0.95'\n"
                                               '>>> _rnns = [m for m in model.modules() if isinstance(m, torch.nn.RNNBase)]\n'
                                               ">>> assert _rnns, 'build the classifier around a recurrent layer (nn.RNN, nn.LSTM or nn.GRU)'\n"
                                               ">>> assert not any((m.bidirectional for m in _rnns)), 'use a one-directional recurrent layer: a bidirectional one reads the first symbol at the end of "
                                               "its backward pass, with no 30-step memory'\n"
                                               '>>> _x2 = _x[:200].clone()\n'
                                               '>>> _x2[:, -1] = (_x2[:, -1] + 1) % 8\n'
                                               '>>> _change = (dlbook.predict(model, _x[:200]) - dlbook.predict(model, _x2)).abs().amax().item()\n'
                                               ">>> assert _change > 0, 'changing the last symbol did not change the logits at all: read them from the hidden state after the last step (states[:, "
                                               "-1]), not from the first step (x[:, 0] or states[:, 0])'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
