OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q1',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': ">>> _m = bpe_train('banana bandana', 4)\n"
                                               ">>> assert isinstance(_m, list) and all((isinstance(p, tuple) and len(p) == 2 for p in _m)), f'return a list of (int, int) tuples, got {_m!r}'\n"
                                               ">>> assert len(_m) == 4, f'k = 4 merges asked, got {len(_m)}'\n"
                                               '>>> assert _m[0] == (97, 110), f"the most frequent pair of b\'banana bandana\' is (97, 110) = \'an\', 4 times; got {_m[0]}"\n'
                                               ">>> assert _m != [(97, 110), (98, 257), (257, 97), (258, 259)], 'the first merge gets id 256 and merge i (from 0) gets 256 + i: you numbered them from "
                                               "257'\n"
                                               ">>> assert _m != [(97, 110), (256, 110), (257, 110), (258, 110)], 'merge without overlap: replace the pair left to right and move past both ids, so "
                                               "[97, 97, 97] becomes [256, 97]'\n"
                                               ">>> assert _m != [(97, 110), (256, 97), (98, 256), (258, 257)], 'at the second merge (98, 256) and (256, 97) tie: ties go to the pair that occurs "
                                               "first in the sequence, not to the largest pair'\n"
                                               ">>> assert _m != [(97, 110), (98, 256), (256, 97), (32, 257)], 'at the fourth merge several pairs tie: ties go to the pair that occurs first in the "
                                               "sequence, not to the smallest pair'\n"
                                               ">>> assert _m == [(97, 110), (98, 256), (256, 97), (257, 258)], f'expected [(97, 110), (98, 256), (256, 97), (257, 258)], got {_m}'\n"
                                               ">>> _m = bpe_train('ééé', 1)\n"
                                               '>>> assert _m != [(233, 233)], "work on the UTF-8 bytes (text.encode(\'utf-8\')): \'é\' is the two bytes (195, 169), not ord(\'é\') = 233"\n'
                                               '>>> assert _m == [(195, 169)], f"\'ééé\' is the bytes [195, 169] * 3: the first merge is (195, 169), got {_m}"\n'
                                               ">>> assert bpe_train('a', 3) == [], 'a text of one byte has no pair: stop early and return []'\n"
                                               ">>> _e = bpe_encode('abcbc bc', [(97, 98), (98, 99)])\n"
                                               ">>> assert _e != [97, 257, 257, 32, 257], 'apply the merges in the order they were learned (merge 0 first), not the pair most frequent in the text'\n"
                                               ">>> assert _e == [256, 99, 257, 32, 257], f'merge 0 (97, 98) first, then merge 1 (98, 99): expected [256, 99, 257, 32, 257], got {_e}'\n"
                                               '>>> assert bpe_encode(\'née\', [(195, 169)]) == [110, 256, 101], "encode the UTF-8 bytes of the text: \'née\' is [110, 195, 169, 101] before merging"\n'
                                               '>>> assert bpe_encode(\'aaaaa\', [(97, 97)]) == [256, 256, 97], "merge without overlap from the left: \'aaaaa\' with the merge (97, 97) is [256, 256, '
                                               '97]"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
