OK_FORMAT = True

test = {   'name': 'q5',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> def _count_up(prev, state):\n'
                                               '...     return (torch.nn.functional.one_hot((prev + 1) % 5, 5).float(), state + 1)\n'
                                               '>>> _ids = greedy_decode(_count_up, torch.zeros(2, 1), bos_id=0, eos_id=3, max_len=5)\n'
                                               '>>> assert isinstance(_ids, torch.Tensor) and _ids.shape == (2, 5), f"expected a (2, 5) tensor, got {getattr(_ids, \'shape\', _ids)}: return the '
                                               'max_len chosen tokens, without bos_id"\n'
                                               '>>> assert _ids.tolist() != [[1, 1, 1, 1, 1]] * 2, "every step saw bos_id: feed back the argmax, each step\'s prev is the token chosen at the step '
                                               'before"\n'
                                               ">>> assert _ids.tolist() != [[1, 2, 3, 4, 0]] * 2, 'the sequence went on after eos_id (3): once a sequence has produced eos_id, every later position "
                                               "must hold eos_id'\n"
                                               ">>> assert _ids.tolist() == [[1, 2, 3, 3, 3]] * 2, f'expected [1, 2, 3, 3, 3] per row, got {_ids.tolist()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
