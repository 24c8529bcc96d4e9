OK_FORMAT = True

test = {   'name': 'q7',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import dlbook\n'
                                               '>>> import torch\n'
                                               '>>> from torch import nn\n'
                                               ">>> assert isinstance(adapted, nn.Sequential) and len(adapted) == len(base), f'return a copy of base (an nn.Sequential of {len(base)} modules) with "
                                               "some Linear layers wrapped by LoRALinear, got {type(adapted).__name__}'\n"
                                               ">>> assert adapted is not base, 'return a new model (copy.deepcopy(base)): base itself must not change'\n"
                                               ">>> assert all((torch.equal(v, _base_state[k]) for k, v in base.state_dict().items())), 'base changed: train a deep copy, with the pretrained weights "
                                               "frozen'\n"
                                               '>>> _lora = [m for m in adapted.modules() if isinstance(m, LoRALinear)]\n'
                                               ">>> assert _lora, 'wrap at least one Linear layer of the copy by LoRALinear'\n"
                                               '>>> _n_trainable = sum((p.numel() for p in adapted.parameters() if p.requires_grad))\n'
                                               '>>> _n_lora = sum((m.lora_A.numel() + m.lora_B.numel() for m in _lora))\n'
                                               ">>> assert _n_trainable <= _n_lora, f'{_n_trainable:,} parameters train but the LoRA factors hold {_n_lora:,}: freeze everything else "
                                               "(copy.deepcopy(base).requires_grad_(False))'\n"
                                               '>>> assert _n_lora <= 3010, f"the LoRA factors hold {_n_lora:,} numbers, more than 1% of the base\'s 301,066 (3,010): lower the rank or wrap fewer '
                                               'layers"\n'
                                               '>>> _sd = adapted.state_dict()\n'
                                               '>>> for _k, _v in _base_state.items():\n'
                                               "...     _k2 = _k if _k in _sd else _k.replace('.', '.base.', 1)\n"
                                               "...     assert _k2 in _sd and torch.equal(_sd[_k2], _v), f'the pretrained weight {_k} changed: keep it frozen, train only the LoRA factors'\n"
                                               '>>> _X, _y = splits.val.tensors\n'
                                               '>>> _acc = dlbook.accuracy(dlbook.predict(adapted, mirror(_X)), _y).item()\n'
                                               ">>> assert _acc >= 0.9, f'accuracy on the mirrored validation split {_acc:.3f} is below 0.90 (the base alone gets about 0.40): a rank of 4 on the "
                                               "first layer, 20 epochs of Adam at 1e-2'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
