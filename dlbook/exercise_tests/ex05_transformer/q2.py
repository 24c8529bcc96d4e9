OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _pe = sinusoidal_pe(10, 4)\n'
                                               '>>> assert isinstance(_pe, torch.Tensor) and _pe.shape == (10, 4), f"expected shape (10, 4), got {getattr(_pe, \'shape\', None)}"\n'
                                               ">>> assert torch.allclose(_pe[0], torch.tensor([0.0, 1.0, 0.0, 1.0])), 'position 0 is (sin 0, cos 0, ...) = (0, 1, 0, 1)'\n"
                                               ">>> assert abs(_pe[3, 0].item() - math.sin(3)) < 1e-06, 'PE[p, 0] = sin(p)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
