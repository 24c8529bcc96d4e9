OK_FORMAT = True

test = {   'name': 'q5',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _ids = torch.tensor([[1, 5, 6, 7, 8, 2]])\n'
                                               '>>> _u = torch.tensor([[0.0, 0.1, 0.1, 0.1, 0.5, 0.0]])\n'
                                               '>>> _r = torch.tensor([[0.0, 0.5, 0.85, 0.95, 0.0, 0.0]])\n'
                                               '>>> _rand = torch.full_like(_ids, 9)\n'
                                               '>>> _inp, _lab = mlm_mask(_ids, _u, _r, _rand, mask_id=3, special_ids=(0, 1, 2))\n'
                                               ">>> assert _ids.tolist() == [[1, 5, 6, 7, 8, 2]], 'mlm_mask changed ids in place: corrupt a copy (ids.clone())'\n"
                                               ">>> assert _inp[0, 0].item() == 1 and _inp[0, 5].item() == 2 and (_lab[0, 0].item() == -100), 'special ids (0, 1, 2 here) are never selected, even "
                                               "when u < p: leave them as they are, label -100'\n"
                                               ">>> assert _lab[0, 2].item() != 9, 'the label of a selected position is its original id (6), not the corrupted input (9)'\n"
                                               ">>> assert _lab[0, 4].item() == -100, 'positions that are not selected (u >= p) get label -100'\n"
                                               ">>> assert _inp.tolist() == [[1, 3, 9, 7, 8, 2]], f'expected inputs [[1, 3, 9, 7, 8, 2]], got {_inp.tolist()}'\n"
                                               ">>> assert _lab.tolist() == [[-100, 5, 6, 7, -100, -100]], f'labels: the original id where selected, -100 elsewhere; got {_lab.tolist()}'\n"
                                               ">>> assert _ids.tolist() == [[1, 5, 6, 7, 8, 2]], 'do not modify ids'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
