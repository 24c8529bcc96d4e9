OK_FORMAT = True

test = {   'name': 'q6',
    'points': 3,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> from dlbook import meta\n'
                                               '>>> _x, _y, _, _test, _ = meta.rotated_digit_classes()\n'
                                               '>>> _g, _accs = (torch.Generator().manual_seed(0), [])\n'
                                               '>>> _ = embed.eval()\n'
                                               '>>> with torch.no_grad():\n'
                                               '...     for _ in range(50):\n'
                                               '...         _ep = meta.sample_episode(_x, _y, 5, 5, 15, _g, _test)\n'
                                               '...         _sx, _qx = (meta.random_shift(_ep.support_x, 1, _g), meta.random_shift(_ep.query_x, 1, _g))\n'
                                               '...         _lg = meta.protonet_logits(embed(_qx), meta.prototypes(embed(_sx), _ep.support_y, 5))\n'
                                               '...         _accs.append((_lg.argmax(1) == _ep.query_y).float().mean().item())\n'
                                               '>>> _acc = sum(_accs) / len(_accs)\n'
                                               ">>> assert _acc >= 0.8, f'5-way 5-shot accuracy on shifted meta-test episodes is {_acc:.3f}, below 0.80'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
