OK_FORMAT = True

test = {   'name': 'q4',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _x = torch.randint(0, 10, (500, 8), generator=torch.Generator().manual_seed(7))\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _out = reverser.eval()(_x)\n'
                                               ">>> assert _out.shape == (500, 8, 10), f'logits should have shape (500, 8, 10), got {tuple(_out.shape)}'\n"
                                               '>>> _acc = (_out.argmax(-1) == _x.flip(1)).float().mean().item()\n'
                                               ">>> assert _acc >= 0.95, f'token accuracy {_acc:.3f} is below 0.95'\n"
                                               '>>> from torch import nn as _nn\n'
                                               '>>> from dlbook import attention as _attention\n'
                                               '>>> _mods = [m for m in reverser.modules() if isinstance(m, (_nn.MultiheadAttention, _attention.MultiHeadAttention))]\n'
                                               '>>> def _zero_attention(module, inputs, output):\n'
                                               '...     return (torch.zeros_like(output[0]),) + tuple(output[1:]) if isinstance(output, tuple) else torch.zeros_like(output)\n'
                                               '>>> _hooks = [m.register_forward_hook(_zero_attention) for m in _mods]\n'
                                               '>>> try:\n'
                                               '...     with torch.no_grad():\n'
                                               '...         _ablated = reverser.eval()(_x)\n'
                                               '... finally:\n'
                                               '...     for _h in _hooks:\n'
                                               '...         _h.remove()\n'
                                               ">>> assert _mods, 'the model has no nn.MultiheadAttention or dlbook.attention.MultiHeadAttention layer'\n"
                                               '>>> _acc_ablated = (_ablated.argmax(-1) == _x.flip(1)).float().mean().item()\n'
                                               ">>> assert _acc_ablated < 0.5, f'with its attention output set to zero the model still reverses {_acc_ablated:.0%} of the tokens: the reversal must go "
                                               "through the attention layer (queries that find the mirrored position), not around it'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
