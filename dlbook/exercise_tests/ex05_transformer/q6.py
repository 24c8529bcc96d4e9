OK_FORMAT = True

test = {   'name': 'q6',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> _n = bert_params(30522, 768, 12, 3072)\n'
                                               ">>> assert isinstance(_n, int), f'give an int, got {type(_n).__name__}'\n"
                                               ">>> assert _n != 109480704, 'you left out the LayerNorm of the embeddings (a scale and a shift of size hidden)'\n"
                                               ">>> assert _n != 109087488, 'you left out the position and segment (token type) embeddings: (max_position + type_vocab_size) x hidden'\n"
                                               ">>> assert _n != 109463808, 'each layer has two LayerNorms (after attention and after the FFN), each a scale and a shift'\n"
                                               ">>> assert _n != 109445376, 'the query, key, value and output projections each have a bias of size hidden'\n"
                                               ">>> assert _n == 109482240, f'BERT-base has 109,482,240 parameters with the pooler, got {_n:,}'\n"
                                               ">>> assert bert_params(30522, 768, 12, 3072, pooler=False) == 108891648, 'without the pooler: 108,891,648'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
