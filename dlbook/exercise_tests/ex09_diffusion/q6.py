OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import math\n'
                                               '>>> import torch\n'
                                               '>>> import dlbook\n'
                                               '>>> from dlbook import diffusion as dm\n'
                                               '>>> _g = torch.Generator().manual_seed(1)\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     _x = torch.randn(2000, 2, generator=_g)\n'
                                               '...     for _t in range(len(betas) - 1, -1, -1):\n'
                                               '...         _e = denoiser(_x.to(device), torch.full((2000,), _t, dtype=torch.long, device=device)).float().cpu()\n'
                                               "...         assert _e.shape == (2000, 2), f'model(x_t, t) should return the predicted noise (B, 2), got {tuple(_e.shape)}'\n"
                                               '...         _x = dm.ddpm_step(dm.DDPMSchedule(betas), _e, _x, _t, torch.randn(2000, 2, generator=_g))\n'
                                               '>>> assert bool(torch.isfinite(_x).all()), "the samples are not finite: check the step and the model\'s output"\n'
                                               '>>> _ang = 2 * math.pi * torch.arange(8) / 8\n'
                                               '>>> _d, _k = torch.cdist(_x, torch.stack([_ang.cos(), _ang.sin()], 1)).min(1)\n'
                                               '>>> _counts = torch.bincount(_k[_d <= 0.1], minlength=8)\n'
                                               '>>> _share = (_d <= 0.1).float().mean().item()\n'
                                               '>>> _data = dlbook.data.make_ring(2000, modes=8, radius=1.0, std=0.05, seed=12345)[0]\n'
                                               '>>> _ed = dm.energy_distance(_x, _data)\n'
                                               ">>> assert int((_counts >= 100).sum()) == 8, f'covers {int((_counts >= 100).sum())} of the 8 modes (100 samples within 0.1 each); samples per mode: "
                                               "{_counts.tolist()}'\n"
                                               ">>> assert _share >= 0.6, f'only {_share:.2f} of the samples lie within 2 sigma = 0.1 of a centre (60% asked): train longer or with a larger network'\n"
                                               ">>> assert _ed < 0.02, f'energy distance {_ed:.4f} to fresh data (below 0.02 asked): the samples are not spread like the data'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
