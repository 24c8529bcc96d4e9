OK_FORMAT = True

test = {   'name': 'q4',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _p0, _m0, _v0 = (torch.tensor([1.0]), torch.zeros(1), torch.zeros(1))\n'
                                               '>>> _p, _m, _v = adam_step(_p0, torch.tensor([0.5]), _m0, _v0, t=1, lr=0.1)\n'
                                               ">>> assert isinstance(_p, torch.Tensor), f'adam_step should return tensors, got {type(_p).__name__}'\n"
                                               ">>> assert torch.equal(_p0, torch.tensor([1.0])) and (not _m0.any()) and (not _v0.any()), 'adam_step changed p, m or v in place: return new tensors (m "
                                               "= beta1 * m + ..., no .mul_(), .add_() or +=)'\n"
                                               ">>> assert not torch.allclose(_p, torch.tensor([1.0 - 0.1 * 0.05 / 0.00025 ** 0.5]), atol=1e-05), 'the first step is 3.2x too large: correct the bias, "
                                               "m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t)'\n"
                                               ">>> assert not torch.allclose(_p, torch.tensor([0.8]), atol=1e-05), 'divide by the square root of v_hat: p - lr * m_hat / (sqrt(v_hat) + eps)'\n"
                                               ">>> assert torch.allclose(_p, torch.tensor([0.9]), atol=1e-06), f'the first Adam step moves by lr: expected 0.9, got {_p}'\n"
                                               ">>> assert torch.allclose(_m, torch.tensor([0.05])) and torch.allclose(_v, torch.tensor([0.00025])), f'expected m = 0.05 and v = 0.00025, got {_m}, "
                                               "{_v}'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
