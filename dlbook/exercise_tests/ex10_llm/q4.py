OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q4',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> _n = llama_num_parameters(4096, 32, 32, 32, 32000, 11008)\n'
                                               ">>> assert isinstance(_n, int), f'return an int, got {type(_n).__name__}'\n"
                                               '>>> _d = _n - 6738415616\n'
                                               '>>> assert _d != -32000 * 4096, "LLaMA\'s output head is a matrix of its own (untied embeddings): count vocab_size x dim twice"\n'
                                               ">>> assert _d != -32 * 4096 * 11008, 'SwiGLU has three matrices per block (w1, w2, w3), not two'\n"
                                               ">>> assert _d not in (-65 * 4096, -64 * 4096, -4096), 'you left out RMSNorm weights: two per block (dim each) and a final one'\n"
                                               ">>> assert _d != 32 * (4 * 4096 + 2 * 11008 + 4096) + 32000, 'LLaMA has no biases'\n"
                                               ">>> assert _d == 0, f'LLaMA-7B has 6,738,415,616 parameters, got {_n:,}'\n"
                                               '>>> _n = llama_num_parameters(64, 3, 8, 2, 100, 176, tied_embeddings=True)\n'
                                               '>>> _d = _n - 138944\n'
                                               ">>> assert _d != 100 * 64, 'with tied_embeddings=True the head is the embedding matrix: count vocab_size x dim once'\n"
                                               ">>> assert _d != 3 * 2 * 64 * (64 - 16), 'wk and wv map dim to n_kv_heads * head_dim = 2 * 8 = 16 (grouped-query attention), not to dim'\n"
                                               ">>> assert _d == 0, f'got {_n:,}, not the count of this tied configuration with grouped-query attention (dim 64, 3 layers, 8 heads, 2 key/value heads, "
                                               "vocabulary 100, ffn_hidden 176)'\n"
                                               ">>> assert _n != llama_num_parameters(64, 3, 8, 2, 100, 176), 'tied_embeddings=True must change the count'\n"
                                               ">>> assert isinstance(tinyllama_params, int), f'tinyllama_params should be an int, got {type(tinyllama_params).__name__}'\n"
                                               '>>> assert tinyllama_params != 1100048384 - 32000 * 2048, "TinyLlama\'s embeddings are untied: count vocab_size x dim twice"\n'
                                               ">>> assert tinyllama_params != 1100048384 + 22 * 2 * 2048 * (2048 - 256), 'TinyLlama has 4 key/value heads: wk and wv map 2048 to 4 * 64 = 256'\n"
                                               ">>> assert tinyllama_params == llama_num_parameters(2048, 22, 32, 4, 32000, 5632), 'tinyllama_params should be llama_num_parameters(2048, 22, 32, 4, "
                                               "32000, 5632)'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
