OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q4',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook.distributed\n'
                                               '>>> _r = ddp_hyperparameters(0.1, 64, 32, 8)\n'
                                               ">>> assert isinstance(_r, tuple) and len(_r) == 2, f'return (global_batch, lr), got {_r!r}'\n"
                                               '>>> _gb, _lr = _r\n'
                                               ">>> assert isinstance(_gb, int), f'the global batch is an int, got {type(_gb).__name__}'\n"
                                               ">>> assert _gb != 32, 'the global batch is N x the per-worker batch: 8 workers of 32 take 256 examples per step'\n"
                                               ">>> assert _gb == 256, f'8 workers of 32: a global batch of 256, got {_gb}'\n"
                                               ">>> assert abs(_lr - 0.8) > 1e-09, 'scale the learning rate by the global batch over the base batch, N·b / B = 256 / 64, not by N alone'\n"
                                               '>>> assert abs(_lr - 0.025) > 1e-09, "a larger batch takes a proportionally larger learning rate: multiply by N·b / B, don\'t divide"\n'
                                               ">>> assert abs(_lr - 0.4) < 1e-09, f'0.1 at batch 64, moved to a global batch of 256: 0.1 x 256 / 64 = 0.4, got {_lr}'\n"
                                               ">>> _gb, _lr = ddp_hyperparameters(0.1, 64, 32, 8, reduction='sum')\n"
                                               '>>> assert abs(_lr - 0.4) > 1e-09, "summed gradients are already N times their mean: with reduction=\'sum\' divide the learning rate by N"\n'
                                               ">>> assert _gb == 256 and abs(_lr - 0.05) < 1e-09, f'with summed gradients: (256, 0.4 / 8 = 0.05), got {(_gb, _lr)}'\n"
                                               '>>> _gb, _lr = ddp_hyperparameters(0.05, 256, 64, 2)\n'
                                               ">>> assert _gb == 128 and abs(_lr - 0.025) < 1e-09, f'2 workers of 64 from a recipe at batch 256: (128, 0.025), the rate goes down with the batch; got "
                                               "{(_gb, _lr)}'\n"
                                               '>>> _args = (0.02, 48, 24, 6)\n'
                                               ">>> assert abs(ddp_hyperparameters(*_args)[1] - dlbook.distributed.linear_scaling(*_args)[1]) < 1e-12, 'your learning rate disagrees with "
                                               "dlbook.distributed.linear_scaling'\n"
                                               '>>> try:\n'
                                               "...     ddp_hyperparameters(0.1, 64, 32, 8, reduction='avg')\n"
                                               '... except ValueError:\n'
                                               '...     pass\n'
                                               '... else:\n'
                                               '...     raise AssertionError("raise a ValueError for a reduction other than \'mean\' or \'sum\'")\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
