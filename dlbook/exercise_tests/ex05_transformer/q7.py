OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q7',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> from torch import nn\n'
                                               '>>> with torch.random.fork_rng():\n'
                                               '...     _ = torch.manual_seed(0)\n'
                                               '...     _mha = nn.MultiheadAttention(6, 3, batch_first=True)\n'
                                               '...     _x = torch.randn(2, 4, 6)\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _ref, _ref_w = _mha(_x, _x, _x, average_attn_weights=False)\n'
                                               '...     _out, _w = multi_head_self_attention(_x, _mha.in_proj_weight, _mha.in_proj_bias, _mha.out_proj.weight, _mha.out_proj.bias, 3)\n'
                                               ">>> assert tuple(_w.shape) == (2, 3, 4, 4), f'weights per head have shape (B, h, T, T) = (2, 3, 4, 4), got {tuple(_w.shape)}'\n"
                                               '>>> assert tuple(_out.shape) == (2, 4, 6), f"the output has the input\'s shape (B, T, E) = (2, 4, 6), got {tuple(_out.shape)}"\n'
                                               '>>> _qE, _kE = (_x @ _mha.in_proj_weight[:6].T + _mha.in_proj_bias[:6], _x @ _mha.in_proj_weight[6:12].T + _mha.in_proj_bias[6:12])\n'
                                               '>>> _split = lambda t: t.reshape(2, 4, 3, 2).transpose(1, 2)\n'
                                               '>>> _w_sqrtE = torch.softmax(_split(_qE) @ _split(_kE).transpose(-2, -1) / math.sqrt(6), dim=-1)\n'
                                               ">>> assert not torch.allclose(_w, _w_sqrtE, atol=1e-05), 'you scaled the scores by sqrt(E) = sqrt(6): scale by sqrt(d), the size of one head, E / h = "
                                               "2'\n"
                                               '>>> assert torch.allclose(_w, _ref_w, atol=1e-05), "the weights differ from nn.MultiheadAttention\'s: split the heads with .reshape(B, T, h, '
                                               'd).transpose(1, 2); .reshape(B, h, T, d) mixes positions into heads"\n'
                                               '>>> assert torch.allclose(_out, _ref, atol=1e-05), "the weights match nn.MultiheadAttention\'s but the output does not: merge the heads with '
                                               '.transpose(1, 2).reshape(B, T, E) (not a bare reshape), then apply out_proj (x @ W.T + b)"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
