OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': ">>> _n = normalize_answer('The  Eiffel Tower!')\n"
                                               ">>> assert isinstance(_n, str), f'normalize_answer returns a str, got {type(_n).__name__}'\n"
                                               '>>> assert _n != \'the eiffel tower\', "lower-case first, then remove the articles: \'The\' is the article \'the\'"\n'
                                               '>>> assert _n == \'eiffel tower\', f"\'The  Eiffel Tower!\' normalises to \'eiffel tower\', got {_n!r}"\n'
                                               ">>> _n = normalize_answer('an anthem, a theory')\n"
                                               ">>> assert 'nthem' not in _n.replace('anthem', '') and 'ory' not in _n.replace('theory', ''), f'remove the articles a, an, the as whole words (regular "
                                               "expression \\\\b(a|an|the)\\\\b): got {_n!r}'\n"
                                               '>>> assert _n == \'anthem theory\', f"\'an anthem, a theory\' normalises to \'anthem theory\', got {_n!r}"\n'
                                               '>>> _n = normalize_answer("Don\'t stop: U.S.-made")\n'
                                               '>>> assert _n != \'don t stop u s made\', \'remove punctuation characters, don\\\'t replace them by spaces: "don\\\'t" becomes \\\'dont\\\'\'\n'
                                               '>>> assert _n == \'dont stop usmade\', f"expected \'dont stop usmade\', got {_n!r}"\n'
                                               ">>> _f = f1_score('the Cat sat', ['a cat sat down'])\n"
                                               ">>> assert isinstance(_f, float), f'f1_score returns a float, got {type(_f).__name__}'\n"
                                               '>>> assert abs(_f - 2 / 7) > 1e-06, "normalise both texts first: \'the Cat sat\' and \'a cat sat down\' share \'cat\' and \'sat\' once normalised"\n'
                                               '>>> assert abs(_f - 0.8) < 1e-06, f"\'cat sat\' against \'cat sat down\': precision 1, recall 2/3, F1 0.8; got {_f}"\n'
                                               ">>> _f = f1_score('paris', ['london', 'Paris!'])\n"
                                               '>>> assert _f != 0.0 and abs(_f - 0.5) > 1e-06, "take the max over the ground truths (not the first one, not the mean): \'paris\' matches the second"\n'
                                               ">>> assert abs(_f - 1.0) < 1e-06, f'expected 1.0, got {_f}'\n"
                                               ">>> _f = f1_score('red red red', ['red car'])\n"
                                               '>>> assert abs(_f - 1.2) > 1e-06 and abs(_f - 2 / 3) > 1e-06, "count shared tokens as bags: collections.Counter(pred) & collections.Counter(truth); '
                                               '\'red red red\' and \'red car\' share one \'red\'"\n'
                                               ">>> assert abs(_f - 0.4) < 1e-06, f'one shared token, precision 1/3, recall 1/2: F1 0.4; got {_f}'\n"
                                               ">>> assert f1_score('!!!', ['the cat']) == 0.0 and f1_score('dog', ['cat']) == 0.0, 'no shared token gives F1 = 0.0 (also for an answer that "
                                               "normalises to nothing)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
