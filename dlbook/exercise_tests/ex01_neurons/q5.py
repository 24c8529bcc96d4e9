OK_FORMAT = True

test = {   'name': 'q5',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook\n'
                                               '>>> _X, _y = dlbook.data.load_digits(flatten=True).val.tensors\n'
                                               '>>> _acc = dlbook.accuracy(dlbook.predict(model, _X), _y).item()\n'
                                               ">>> assert _acc >= 0.95, f'validation accuracy {_acc:.3f} is below 0.95'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
