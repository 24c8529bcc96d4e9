OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> import dlbook\n'
                                               '>>> _X, _y = dlbook.data.load_digits(flatten=True).val.tensors\n'
                                               '>>> _ = model.eval()\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _acc = (model(_X.to(next(model.parameters()).device)).argmax(1).cpu() == _y).float().mean().item()\n'
                                               ">>> assert _acc >= 0.95, f'validation accuracy {_acc:.3f} is below 0.95'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
