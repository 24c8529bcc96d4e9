OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q3',
    'points': 1,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook.distributed\n'
                                               '>>> _b = pipeline_bubble(4, 1)\n'
                                               ">>> assert isinstance(_b, (int, float)), f'return a float, got {type(_b).__name__}'\n"
                                               ">>> assert _b != 0.0, 'with one micro-batch three of the four stages wait at any time: the bubble grows with the stages p, (p - 1)/(m + p - 1); did "
                                               "you swap m and p?'\n"
                                               ">>> assert _b != 3.0, '(p - 1)/m is the bubble relative to the useful time; the fraction of the total time is (p - 1)/(m + p - 1)'\n"
                                               ">>> assert abs(_b - 0.6) > 1e-09 and abs(_b - 0.8) > 1e-09, 'the forward passes take m + p - 1 slots, not m + p: the bubble is (p - 1)/(m + p - 1)'\n"
                                               ">>> assert abs(_b - 0.75) < 1e-09, f'4 stages and 1 micro-batch: each stage is busy 1 slot of 4, a bubble of 0.75; got {_b}'\n"
                                               ">>> assert abs(pipeline_bubble(4, 16) - 3 / 19) < 1e-09, f'4 stages and 16 micro-batches: 3/19 = 0.158, got {pipeline_bubble(4, 16)}'\n"
                                               ">>> assert pipeline_bubble(1, 5) == 0, 'with one stage there is no bubble'\n"
                                               '>>> for _p, _m in [(2, 3), (8, 32), (16, 7)]:\n'
                                               "...     assert abs(pipeline_bubble(_p, _m) - dlbook.distributed.pipeline_bubble(_p, _m)) < 1e-12, f'p = {_p}, m = {_m}: disagrees with "
                                               "dlbook.distributed.pipeline_bubble'\n"
                                               ">>> assert isinstance(min_micro_batches, int), f'min_micro_batches should be an int, got {type(min_micro_batches).__name__}'\n"
                                               ">>> assert min_micro_batches != 47, 'min_micro_batches: the bubble is (p - 1)/(m + p - 1), not (p - 1)/m'\n"
                                               ">>> assert min_micro_batches != 39, 'min_micro_batches: the bubble is (p - 1)/(m + p - 1), not (p - 1)/(m + p)'\n"
                                               ">>> assert min_micro_batches != 1, 'min_micro_batches: the bubble shrinks as m grows, (p - 1)/(m + p - 1) with p = 8'\n"
                                               ">>> assert pipeline_bubble(8, min_micro_batches) <= 0.15 and pipeline_bubble(8, min_micro_batches - 1) > 0.15, f'min_micro_batches is the fewest m "
                                               "with a bubble of at most 15% for 8 stages; got {min_micro_batches}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
