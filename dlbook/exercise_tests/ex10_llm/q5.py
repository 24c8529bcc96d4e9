OK_FORMAT = True

test = {   'all_or_nothing': True,
    'name': 'q5',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> import torch\n'
                                               '>>> _logits = (torch.sin(torch.arange(60, dtype=torch.float32) * 1.3) * 2).reshape(2, 6, 5)\n'
                                               '>>> _ids = torch.tensor([[4, 4, 2, 1, 1, 1], [0, 3, 4, 4, 1, 2]])\n'
                                               '>>> _l = sft_loss(_logits, _ids, torch.tensor([2, 4]))\n'
                                               ">>> assert isinstance(_l, torch.Tensor) and _l.dim() == 0, f'return a 0-dim tensor, got {_l!r}'\n"
                                               '>>> _v = _l.item()\n'
                                               '>>> assert abs(_v - 2.2109) > 0.001, "you took the loss on the prompt\'s tokens too: give their targets the label -100"\n'
                                               ">>> assert abs(_v - 2.0266) > 0.001, 'the logits at position t predict the token at t + 1: compare logits[:, :-1] with input_ids[:, 1:]'\n"
                                               ">>> assert abs(_v - 1.0781) > 0.001, 'you averaged over every position, masked ones included: average over the response tokens only'\n"
                                               ">>> assert abs(_v - 1.5668) > 0.001, 'you masked one target too many: the first response token, at position prompt_lengths[b], is a target'\n"
                                               '>>> assert abs(_v - 2.2538) > 0.001, "you averaged each sequence, then the batch: take one mean over all of the batch\'s response tokens"\n'
                                               ">>> assert abs(_v - 1.7968) < 0.001, f'expected 1.7968 here, got {_v:.4f}'\n"
                                               '>>> _full = torch.zeros(2, dtype=torch.long)\n'
                                               '>>> _all = sft_loss(_logits, _ids, _full).item()\n'
                                               ">>> assert abs(_all - torch.nn.functional.cross_entropy(_logits[:, :-1].reshape(-1, 5), _ids[:, 1:].reshape(-1)).item()) < 1e-05, 'with empty prompts "
                                               "every next token is a target: plain next-token cross-entropy'\n",
                                       'hidden': False,
                                       'locked': False,
                                       'points': 0}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
