OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> from dlbook import gan\n'
                                               '>>> _g = torch.Generator().manual_seed(0)\n'
                                               '>>> _z, _lab = (torch.randn(4000, 2, generator=_g), torch.arange(4000) % 8)\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _x = generator(_z, _lab)\n'
                                               ">>> assert _x.shape == (4000, 2), f'the generator should map (B, 2) noise and (B,) labels to (B, 2) points, got {tuple(_x.shape)}'\n"
                                               '>>> _c = gan.ring_centers()[_lab]\n'
                                               '>>> _near = (_x - _c).norm(dim=1) <= 0.15\n'
                                               '>>> _hit = [round(_near[_lab == k].float().mean().item(), 2) for k in range(8)]\n'
                                               '>>> assert min(_hit) >= 0.6, f"share of each mode\'s samples within 3 sigma of the centre asked for: {_hit}; every mode needs 0.6 (an unconditional '
                                               'GAN gets about 1/8: does G use its labels, and does D see them?)"\n'
                                               '>>> _sd = (_x - _c)[_near].std(0)\n'
                                               '>>> assert _sd.min() >= 0.025 and _sd.max() <= 0.1, f"the samples near their centre spread {_sd.tolist()} along x and y; the data\'s is 0.05 (does G '
                                               'use z?)"\n',
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
