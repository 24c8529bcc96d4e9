OK_FORMAT = True

test = {   'name': 'q7',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook\n'
                                               '>>> from torch import nn\n'
                                               '>>> assert isinstance(student, nn.Sequential) and len(student) == 3 and isinstance(student[0], nn.Linear) and isinstance(student[2], nn.Linear), '
                                               "f'return nn.Sequential(nn.Linear(64, h), nn.ReLU(), nn.Linear(h, 10)), got {student}'\n"
                                               '>>> _n = sum((t.numel() for t in student.state_dict().values()))\n'
                                               ">>> assert _n <= 1000, f'the student stores {_n} numbers (parameters and buffers), more than 1,000: use h <= 13'\n"
                                               '>>> _X, _y = dlbook.data.load_digits(flatten=True).val.tensors\n'
                                               '>>> _acc = dlbook.accuracy(dlbook.predict(student, _X), _y).item()\n'
                                               '>>> assert _acc >= 0.92, f"validation accuracy {_acc:.3f} is below 0.92: the 100 labels alone give about 0.85-0.90; fit the teacher\'s soft targets on '
                                               'x_transfer (kd_loss, T = 4)"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
