OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q6',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> from torch import nn\n'
                                               '>>> _base = nn.Linear(3, 2)\n'
                                               '>>> _ = _base.weight.data.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]]))\n'
                                               '>>> _ = _base.bias.data.copy_(torch.tensor([0.1, -0.2]))\n'
                                               '>>> _m = LoRALinear(_base, r=2, alpha=8.0)\n'
                                               ">>> assert isinstance(_m, nn.Module), 'LoRALinear should be an nn.Module'\n"
                                               ">>> assert tuple(_m.lora_A.shape) == (2, 3) and tuple(_m.lora_B.shape) == (2, 2), f'lora_A has shape (r, in_features) = (2, 3) and lora_B "
                                               "(out_features, r) = (2, 2), got {tuple(_m.lora_A.shape)}, {tuple(_m.lora_B.shape)}'\n"
                                               '>>> _x = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])\n'
                                               '>>> _y0 = _base(_x).detach()\n'
                                               ">>> assert torch.allclose(_m(_x), _y0, atol=1e-06), 'at initialisation a LoRA layer equals its base: lora_B starts at zero (only lora_A is random)'\n"
                                               ">>> assert float(_m.lora_A.detach().abs().sum()) > 0, 'lora_A starts random: with A = 0 and B = 0 neither factor gets a gradient'\n"
                                               '>>> _trainable = sorted((n for n, p in _m.named_parameters() if p.requires_grad))\n'
                                               ">>> assert _trainable == ['lora_A', 'lora_B'], f'only lora_A and lora_B train: freeze the base (its weight and bias, requires_grad_(False)); trainable "
                                               "now: {_trainable}'\n"
                                               ">>> assert abs(float(_m.scaling) - 4.0) < 1e-09, f'scaling = alpha / r = 8 / 2 = 4, got {_m.scaling}'\n"
                                               '>>> _ = _m.lora_A.data.copy_(torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))\n'
                                               '>>> _ = _m.lora_B.data.copy_(torch.tensor([[0.5, 0.0], [0.0, -0.25]]))\n'
                                               '>>> _d = (_m(_x) - _y0).detach()\n'
                                               '>>> _unit = torch.tensor([[2.0, -0.5], [-0.5, -0.125]])\n'
                                               ">>> assert not torch.allclose(_d, 8 * _unit, atol=1e-05), 'scaling = alpha / r: you multiplied by alpha alone'\n"
                                               ">>> assert not torch.allclose(_d, 32 * _unit, atol=1e-05), 'you applied alpha twice: multiply x A^T B^T by scaling = alpha / r, once'\n"
                                               ">>> assert not torch.allclose(_d, _unit, atol=1e-05), 'multiply the update x A^T B^T by scaling = alpha / r'\n"
                                               ">>> assert torch.allclose(_d, 4 * _unit, atol=1e-05), f'the update should be (alpha / r) x A^T B^T = {(4 * _unit).tolist()}, got {_d.tolist()}'\n"
                                               '>>> _merged = _m.merge()\n'
                                               ">>> assert isinstance(_merged, nn.Linear), f'merge returns an nn.Linear, got {type(_merged).__name__}'\n"
                                               '>>> _ym = _merged(_x).detach()\n'
                                               ">>> assert torch.allclose(_m(_x), _y0 + 4 * _unit, atol=1e-05), 'merge changed the LoRA layer (its base weight, in place): return a new nn.Linear and "
                                               "leave the layer as it was'\n"
                                               ">>> assert not torch.allclose(_ym, _y0 + _unit, atol=1e-05), 'merge without the scaling: the merged weight is W + (alpha / r) B @ A'\n"
                                               ">>> assert torch.allclose(_ym, _y0 + 4 * _unit, atol=1e-05), f'the merged layer should compute what the LoRA layer computes, {(_y0 + 4 * "
                                               "_unit).tolist()}, got {_ym.tolist()}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
