OK_FORMAT = True

test = {   'name': 'q4',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _p, _m, _v = adam_step(torch.tensor([1.0]), torch.tensor([0.5]), torch.zeros(1), torch.zeros(1), t=1, lr=0.1)\n'
                                               ">>> assert isinstance(_p, torch.Tensor), f'adam_step should return tensors, got {type(_p).__name__}'\n"
                                               ">>> assert torch.allclose(_p, torch.tensor([0.9]), atol=1e-06), f'the first Adam step moves by lr: expected 0.9, got {_p}'\n"
                                               '>>> assert torch.allclose(_m, torch.tensor([0.05])) and torch.allclose(_v, torch.tensor([0.00025]))\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
