"""dlbook.decoding, the course's one generation loop: chapter 4's and chapter 5's ``generate`` are
that loop with their chapters' arguments, and give the very ids their own loops gave (the stored
samples of 04_rnn/03 and 05_transformer/04 rest on it); the loop takes either kind of model."""

from __future__ import annotations

import pytest
import torch

from dlbook import decoding, rnn, transformer
from dlbook.utils import eval_mode


@torch.no_grad()
def _old_rnn_generate(model, prefix, length, temperature=1.0, greedy=False, generator=None):
    # chapter 4's own loop, as it was before dlbook.decoding (d810296)
    out = []
    with eval_mode(model):
        logits, state = model.forward_with_state(prefix[None], None)
        for _ in range(length):
            last = logits[0, -1]
            nxt = last.argmax() if greedy else torch.multinomial(
                torch.softmax(last / temperature, dim=-1), 1, generator=generator)[0]
            out.append(int(nxt))
            logits, state = model.forward_with_state(nxt.view(1, 1), state)
    return torch.tensor(out, dtype=torch.long)


@torch.no_grad()
def _old_transformer_generate(model, prefix, length, temperature=1.0, top_k=None, greedy=False, generator=None,
                              use_cache=True):
    # chapter 5's own loop, as it was before dlbook.decoding (d810296)
    with eval_mode(model):
        seq = prefix[None]
        caches = model.new_caches() if use_cache else None
        logits = model(seq, caches)
        out = []
        for _ in range(length):
            last = logits[0, -1]
            if greedy:
                nxt = last.argmax()
            else:
                last = last / temperature
                if top_k is not None:
                    kth = torch.topk(last, min(top_k, last.numel())).values[-1]
                    last = last.masked_fill(last < kth, float("-inf"))
                nxt = torch.multinomial(torch.softmax(last, dim=-1), 1, generator=generator)[0]
            out.append(int(nxt))
            seq = torch.cat([seq, nxt.view(1, 1)], dim=1)
            logits = model(nxt.view(1, 1), caches, seq.shape[1] - 1) if use_cache else model(seq)
    return torch.tensor(out, dtype=torch.long)


@pytest.fixture(scope="module")
def char_lm():
    torch.manual_seed(0)
    return rnn.CharLM(11, embed_size=8, hidden_size=16, num_layers=2, cell="lstm")


@pytest.fixture(scope="module")
def gpt():
    torch.manual_seed(1)
    config = transformer.TransformerConfig(d_model=16, num_heads=2, d_ff=32, num_layers=2, max_len=40, dropout=0.0,
                                           positions="learned")
    return transformer.DecoderOnlyLM(13, config)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 1.7])
def test_chapter4_generate_gives_the_ids_of_its_old_loop(char_lm, temperature):
    prefix = torch.tensor([1, 4, 2])
    for seed in range(3):
        new = rnn.generate(char_lm, prefix, 25, temperature, generator=torch.Generator().manual_seed(seed))
        old = _old_rnn_generate(char_lm, prefix, 25, temperature, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(new, old), (seed, new, old)
    assert torch.equal(rnn.generate(char_lm, prefix, 25, greedy=True), _old_rnn_generate(char_lm, prefix, 25, greedy=True))


@pytest.mark.parametrize("top_k", [None, 1, 4])
@pytest.mark.parametrize("use_cache", [True, False])
def test_chapter5_generate_gives_the_ids_of_its_old_loop(gpt, top_k, use_cache):
    prefix = torch.tensor([3, 1, 7, 7])
    for seed in range(3):
        kwargs = dict(temperature=0.8, top_k=top_k, use_cache=use_cache)
        new = transformer.generate(gpt, prefix, 20, generator=torch.Generator().manual_seed(seed), **kwargs)
        old = _old_transformer_generate(gpt, prefix, 20, generator=torch.Generator().manual_seed(seed), **kwargs)
        assert torch.equal(new, old), (seed, new, old)
    assert torch.equal(transformer.generate(gpt, prefix, 20, greedy=True), _old_transformer_generate(gpt, prefix, 20, greedy=True))


def test_one_loop_takes_either_model(char_lm, gpt):
    """The loop reads a recurrent state, or a cache, or neither (the whole sequence each step): the
    same ids each way, batched, and the model is left in the mode it was in."""
    ids = torch.tensor([[1, 2, 3], [4, 5, 6]])
    procs = [decoding.Temperature(0.9), decoding.TopP(0.9)]
    for model in (char_lm, gpt):
        model.train()
        a = decoding.generate(model, ids, 12, procs, generator=torch.Generator().manual_seed(0))
        b = decoding.generate(model, ids, 12, procs, generator=torch.Generator().manual_seed(0), use_cache=False)
        assert a.shape == (2, 12) and torch.equal(a, b)
        assert model.training
        model.eval()


def test_the_old_import_path_is_the_same_module():
    from dlbook.llm import decoding as chapter10

    assert chapter10.generate is decoding.generate and chapter10.TopP is decoding.TopP
    assert set(chapter10.__all__) == set(decoding.__all__)


def test_bad_arguments_still_say_what_is_wrong(char_lm, gpt):
    with pytest.raises(ValueError, match="temperature must be > 0"):
        rnn.generate(char_lm, torch.tensor([1]), 3, temperature=0)
    with pytest.raises(ValueError, match="exceeds max_len"):
        transformer.generate(gpt, torch.tensor([1, 2]), 39)
    with pytest.raises(ValueError, match="non-empty"):
        rnn.generate(char_lm, torch.tensor([], dtype=torch.long), 3)
