OK_FORMAT = True

test = {   'name': 'q7',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook\n'
                                               '>>> _n = sum((p.numel() for p in student.parameters()))\n'
                                               ">>> assert _n <= 1000, f'the student has {_n} parameters, more than 1,000'\n"
                                               '>>> _X, _y = dlbook.data.load_digits(flatten=True).val.tensors\n'
                                               '>>> _acc = dlbook.accuracy(dlbook.predict(student, _X), _y).item()\n'
                                               ">>> assert _acc >= 0.94, f'validation accuracy {_acc:.3f} is below 0.94'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
