OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q2',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook.distributed\n'
                                               '>>> _m = [zero_memory_per_gpu(7000000000.0, 8, s) for s in range(4)]\n'
                                               ">>> assert all((isinstance(v, (int, float)) for v in _m)), f'return a number of bytes, got {[type(v).__name__ for v in _m]}'\n"
                                               '>>> _gb = [round(v / 1000000000.0, 3) for v in _m]\n'
                                               '>>> assert _gb[0] != 84.0, "the optimizer state is 12 bytes per parameter: the fp32 master weights and Adam\'s two moments (4 + 4 + 4), 16 bytes in '
                                               'all"\n'
                                               ">>> assert _gb[0] != 14.0, 'stage 0 (DDP) shards nothing: every GPU holds all 16 bytes per parameter'\n"
                                               ">>> assert _gb[0] == 112.0, f'stage 0 holds 16 bytes per parameter, 112 GB for 7e9 parameters; got {_gb[0]}'\n"
                                               ">>> assert _gb[1] != 26.25, 'stage 1 shards only the optimizer state: the 16-bit weights and gradients stay whole on every GPU'\n"
                                               ">>> assert _gb[1] == 38.5, f'stage 1 on 8 GPUs: (2 + 2 + 12 / 8) bytes per parameter = 38.5 GB; got {_gb[1]}'\n"
                                               ">>> assert _gb[2] != 14.0, 'stage 2 shards the optimizer state and the gradients, not the weights (that is stage 3)'\n"
                                               ">>> assert _gb[2] == 26.25, f'stage 2 on 8 GPUs: (2 + (2 + 12) / 8) bytes per parameter = 26.25 GB; got {_gb[2]}'\n"
                                               ">>> assert _gb[3] == 14.0, f'stage 3 shards everything: 16 / 8 bytes per parameter = 14 GB; got {_gb[3]}'\n"
                                               '>>> for _s in range(4):\n'
                                               "...     assert abs(zero_memory_per_gpu(1000000.0, 64, _s) - dlbook.distributed.zero_memory_per_worker(1000000.0, 64, _s)) < 0.001, f'stage {_s} on 64 "
                                               "GPUs disagrees with dlbook.distributed.zero_memory_per_worker'\n"
                                               '>>> try:\n'
                                               '...     zero_memory_per_gpu(7000000000.0, 8, 4)\n'
                                               '... except ValueError:\n'
                                               '...     pass\n'
                                               '... else:\n'
                                               "...     raise AssertionError('raise a ValueError for a stage other than 0, 1, 2 or 3')\n"
                                               ">>> assert isinstance(llama13b_stage2_gb, (int, float)), f'llama13b_stage2_gb should be a number of GB, got {type(llama13b_stage2_gb).__name__}'\n"
                                               ">>> assert round(llama13b_stage2_gb, 2) != 45.4, 'GB here are 10^9 bytes, not GiB (2^30)'\n"
                                               ">>> assert round(llama13b_stage2_gb, 2) != 26.0, 'llama13b_stage2_gb: stage 2 keeps the 16-bit weights whole on every GPU'\n"
                                               ">>> assert abs(llama13b_stage2_gb - zero_memory_per_gpu(13000000000.0, 8, 2) / 1000000000.0) < 1e-06, 'llama13b_stage2_gb should be "
                                               "zero_memory_per_gpu(13e9, 8, 2) / 1e9'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
