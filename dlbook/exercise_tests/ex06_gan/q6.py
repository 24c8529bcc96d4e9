OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> _ang = 2 * math.pi * torch.arange(8) / 8\n'
                                               '>>> _centers = 2.0 * torch.stack([torch.cos(_ang), torch.sin(_ang)], 1)\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _x = generator(torch.randn(2000, 2))\n'
                                               ">>> assert _x.shape == (2000, 2), f'the generator should map (B, 2) noise to (B, 2) points, got {tuple(_x.shape)}'\n"
                                               '>>> _d, _k = torch.cdist(_x, _centers).min(1)\n'
                                               '>>> _counts = torch.bincount(_k[_d <= 0.15], minlength=8)\n'
                                               '>>> _covered = int((_counts >= 20).sum())\n'
                                               ">>> assert _covered >= 7, f'covers {_covered} of 8 modes; samples per mode: {_counts.tolist()}'\n"
                                               ">>> assert (_d <= 0.15).float().mean() >= 0.3, f'only {(_d <= 0.15).float().mean():.2f} of the samples are within 3 sigma'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
