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


# --- the seq2seq greedy decoders: one loop (dlbook.decoding.greedy_decode), the ids of their old loops ---

@torch.no_grad()
def _old_seq2seq_greedy(model, src, src_mask, max_len, bos_id=1, eos_id=2):
    # chapter 4's Seq2Seq.greedy_decode, as it was before dlbook.decoding.greedy_decode (096d3aa)
    outputs, final = model.encoder(src, src_mask)
    h, pk = model.decoder.start(outputs, final)
    prev = torch.full((src.shape[0],), bos_id, dtype=torch.long, device=src.device)
    done = torch.zeros_like(prev, dtype=torch.bool)
    ids, attn = [], []
    for _ in range(max_len):
        logits, h, weights = model.decoder.step(prev, h, outputs, final, src_mask, pk)
        prev = logits.argmax(dim=1).masked_fill(done, eos_id)
        done |= prev == eos_id
        ids.append(prev)
        if weights is not None:
            attn.append(weights)
    return torch.stack(ids, dim=1), (torch.stack(attn, dim=1) if attn else None)


@torch.no_grad()
def _old_encoder_decoder_greedy(self, src, src_mask, max_len, bos_id=1, eos_id=2, use_cache=False):
    # chapter 5's EncoderDecoder.greedy_decode, as it was before dlbook.decoding.greedy_decode (096d3aa)
    was_training = self.training
    self.eval()
    memory = self.encode(src, src_mask)
    ys = torch.full((src.shape[0], 1), bos_id, dtype=torch.long, device=src.device)
    done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
    caches = self.new_caches() if use_cache else None
    cross = self.decoder.layers[-1].multihead_attn
    steps = []
    for t in range(max_len):
        if use_cache:
            logits = self.decode(ys[:, -1:], memory, src_mask, caches, t)
            steps.append(cross.last_weights)
        else:
            logits = self.decode(ys, memory, src_mask)
        nxt = logits[:, -1].argmax(-1).masked_fill(done, eos_id)
        done |= nxt == eos_id
        ys = torch.cat([ys, nxt[:, None]], dim=1)
    w = cross.last_weights
    if use_cache:
        w = None if self.config.fused or steps[0] is None else torch.cat(steps, dim=2)
    self.train(was_training)
    return ys[:, 1:], (None if self.config.fused or w is None else w.mean(1))


def _same(a, b):
    return a is None and b is None or a is not None and b is not None and torch.equal(a, b)


def _source(V=9, B=4, S=7, seed=0):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(3, V, (B, S), generator=g)
    src_mask = torch.arange(S)[None] < torch.tensor([S, 5, 3, 1][:B])[:, None]
    return src, src_mask


@pytest.mark.parametrize("attention", [True, False])
def test_seq2seq_greedy_gives_the_ids_and_weights_of_its_old_loop(attention):
    torch.manual_seed(2)
    V = 7
    model = rnn.Seq2Seq(rnn.Encoder(9, 6, 8), rnn.Decoder(V, 5, 8, 16, attention=attention))
    src, src_mask = _source()
    for eos_id in range(V):                                         # some rows stop early for some of them
        new = model.greedy_decode(src, src_mask, 6, bos_id=1, eos_id=eos_id)
        old = _old_seq2seq_greedy(model, src, src_mask, 6, bos_id=1, eos_id=eos_id)
        assert torch.equal(new[0], old[0]) and _same(new[1], old[1]), eos_id
    assert new[0].shape == (4, 6) and (new[1] is None) != attention
    model.train()
    model.greedy_decode(src, src_mask, 3)
    assert model.training                                            # the mode is given back


@pytest.mark.parametrize("fused", [False, True])
@pytest.mark.parametrize("use_cache", [False, True])
@pytest.mark.parametrize("pre_norm", [False, True])
def test_encoder_decoder_greedy_gives_the_ids_and_weights_of_its_old_loop(fused, use_cache, pre_norm):
    torch.manual_seed(3)
    V = 8
    config = transformer.TransformerConfig(d_model=16, num_heads=2, d_ff=32, num_layers=2, dropout=0.1,
                                           pre_norm=pre_norm, max_len=16, fused=fused)
    model = transformer.EncoderDecoder(9, V, config)
    src, src_mask = _source()
    for eos_id in range(V):
        new = model.greedy_decode(src, src_mask, 6, bos_id=1, eos_id=eos_id, use_cache=use_cache)
        old = _old_encoder_decoder_greedy(model, src, src_mask, 6, bos_id=1, eos_id=eos_id, use_cache=use_cache)
        assert torch.equal(new[0], old[0]) and _same(new[1], old[1]), eos_id
        assert model.training                                        # dropout back on after decoding
    assert new[0].shape == (4, 6) and (new[1] is None) == fused


def test_one_greedy_loop_follows_the_step_protocol():
    # the exercise's toy decoder: the state counts steps, the logits favour (prev + 1) % 5, 3 is <eos>
    calls = []

    def count_up(prev, state):
        calls.append(prev.clone())
        return torch.nn.functional.one_hot((prev + 1) % 5, 5).float(), state + 1

    ids = decoding.greedy_decode(count_up, torch.zeros(2, 1), 2, 5, bos_id=0, eos_id=3)
    assert ids.tolist() == [[1, 2, 3, 3, 3]] * 2                    # eos_id is kept after the end
    assert [c.tolist() for c in calls] == [[0, 0], [1, 1], [2, 2], [3, 3], [3, 3]]  # each step sees the last choice
    with pytest.raises(ValueError, match="max_len"):
        decoding.greedy_decode(count_up, None, 2, 0, bos_id=0, eos_id=3)
    with pytest.raises(ValueError, match=r"step must return logits \(3, V\)"):
        decoding.greedy_decode(lambda prev, s: (torch.zeros(2, 5), s), None, 3, 2, bos_id=0, eos_id=3)
