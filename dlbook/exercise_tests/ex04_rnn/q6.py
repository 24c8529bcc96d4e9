OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook\n'
                                               '>>> from dlbook import seqdata\n'
                                               '>>> _x, _y = seqdata.first_symbol_recall(1000, 30, seed=1)\n'
                                               '>>> _acc = dlbook.accuracy(dlbook.predict(model, _x), _y).item()\n'
                                               ">>> assert _acc >= 0.95, f'accuracy {_acc:.3f} is below 0.95'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
