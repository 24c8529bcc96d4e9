OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook\n'
                                               '>>> from torch import nn\n'
                                               ">>> assert isinstance(dp_model, nn.Module), f'train_data_parallel returns the trained model (an nn.Module), got {type(dp_model).__name__}'\n"
                                               '>>> _Xv, _yv = splits.val.tensors\n'
                                               '>>> _acc = dlbook.accuracy(dlbook.predict(dp_model, _Xv), _yv).item()\n'
                                               ">>> assert _acc >= 0.95, f'validation accuracy {_acc:.3f} is below 0.95: 40 epochs, a global batch of world_size x 32, the learning rate 0.1 x global "
                                               "batch / 32'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
