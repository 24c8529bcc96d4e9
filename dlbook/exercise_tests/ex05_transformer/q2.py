OK_FORMAT = True

test = {   'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _pe = sinusoidal_pe(10, 4)\n'
                                               '>>> assert isinstance(_pe, torch.Tensor) and _pe.shape == (10, 4), f"expected shape (10, 4), got {getattr(_pe, \'shape\', None)}"\n'
                                               ">>> assert not torch.allclose(_pe[0], torch.tensor([0.0, 0.0, 1.0, 1.0])), 'interleave sin and cos: PE[:, 0::2] = sin, PE[:, 1::2] = cos (not sin in "
                                               "the first half, cos in the second)'\n"
                                               ">>> assert torch.allclose(_pe[0], torch.tensor([0.0, 1.0, 0.0, 1.0])), 'position 0 is (sin 0, cos 0, ...) = (0, 1, 0, 1)'\n"
                                               ">>> assert abs(_pe[3, 0].item() - math.sin(3)) < 1e-06, 'PE[p, 0] = sin(p)'\n"
                                               ">>> assert abs(_pe[1, 2].item() - math.sin(0.1)) > 0.0001, 'column 2 (i = 1) uses 10000^(2i / d_model) = 10000^(2/4), not 10000^(i / d_model)'\n"
                                               ">>> assert abs(_pe[1, 3].item() - math.cos(0.001)) > 1e-07, 'columns 2i and 2i + 1 share one frequency: column 3 uses 10000^(2/4) like column 2, not "
                                               "10000^(3/4)'\n"
                                               ">>> assert abs(_pe[1, 2].item() - math.sin(0.01)) < 1e-06 and abs(_pe[1, 3].item() - math.cos(0.01)) < 1e-06, f'PE[1, 2:4] = (sin 0.01, cos 0.01), got "
                                               "{_pe[1, 2:4].tolist()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
