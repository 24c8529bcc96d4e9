OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> import torch.nn.functional as F\n'
                                               '>>> from torch import nn\n'
                                               '>>> from dlbook import adversarial\n'
                                               ">>> assert isinstance(robust_model, nn.Sequential) and all((isinstance(m, (nn.Linear, nn.ReLU)) for m in robust_model)), f'return an nn.Sequential of "
                                               "nn.Linear layers with nn.ReLU between them, got {robust_model!r}'\n"
                                               '>>> _n = sum((p.numel() for p in robust_model.parameters()))\n'
                                               ">>> assert _n <= 50000, f'the model has {_n:,} parameters, more than 50,000'\n"
                                               '>>> _Xv, _yv = digits.val.tensors\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _ok = robust_model(_Xv).argmax(1) == _yv\n'
                                               '>>> _clean = _ok.float().mean().item()\n'
                                               ">>> assert _clean >= 0.9, f'clean accuracy on the validation split {_clean:.3f} is below 0.90'\n"
                                               '>>> for _loss in (F.cross_entropy, adversarial.margin_loss):\n'
                                               '...     _adv = adversarial.pgd(robust_model, _Xv, _yv, 0.1, 0.025, 20, generator=torch.Generator().manual_seed(0), loss_fn=_loss)\n'
                                               '...     with torch.no_grad():\n'
                                               '...         _ok &= robust_model(_adv).argmax(1) == _yv\n'
                                               '>>> _robust = _ok.float().mean().item()\n'
                                               ">>> assert _robust >= 0.7, f'accuracy under PGD on the validation split {_robust:.3f} is below 0.70 (clean training gives about 0.35): train on "
                                               "fgsm(model, xb, yb, 0.1) of every batch, 30 epochs of Adam at 1e-2'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
