"""dlbook.llm's training and decoding pieces: logits processors, the sampling loop, the SFT loss
masked on the prompt, the DPO loss, the power-law fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlbook import transformer
from dlbook.llm import decoding, dpo, scaling, sft


def _logits(B=4, V=50, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, V, generator=g) * 2, torch.randint(0, V, (B, 7), generator=g)


# --- logits processors -------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 3, 17, 50, 80])
def test_top_k_keeps_the_k_largest(k):
    logits, ids = _logits()
    out = decoding.TopK(k)(ids, logits)
    kept = torch.isfinite(out)
    assert (kept.sum(1) == min(k, 50)).all()
    # the kept ones are the k largest, unchanged
    top = torch.topk(logits, min(k, 50), dim=1).indices
    assert kept.gather(1, top).all()
    assert torch.equal(out[kept], logits[kept])


def test_top_k_keeps_ties_and_one_is_greedy():
    logits = torch.tensor([[1.0, 3.0, 3.0, 0.5]])
    ids = torch.zeros(1, 1, dtype=torch.long)
    assert torch.isfinite(decoding.TopK(2)(ids, logits)).tolist() == [[False, True, True, False]]
    out = decoding.TopK(1)(ids, torch.tensor([[0.1, 2.0, -1.0]]))
    assert decoding.next_token(ids, out, greedy=False, generator=torch.Generator().manual_seed(0)).item() == 1


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.9, 0.999, 1.0])
def test_top_p_keeps_the_smallest_set_with_mass_at_least_p(p):
    logits, ids = _logits(B=8, V=30, seed=1)
    out = decoding.TopP(p)(ids, logits)
    probs = logits.softmax(-1)
    for b in range(len(logits)):
        kept = torch.isfinite(out[b])
        m = int(kept.sum())
        order = probs[b].argsort(descending=True)
        assert kept[order[:m]].all()                                  # the kept ids are the most likely
        assert probs[b][kept].sum() >= p - 1e-6                       # enough mass ...
        assert m == 1 or probs[b][order[:m - 1]].sum() < p            # ... and no smaller prefix has it


def test_top_p_by_hand():
    probs = torch.tensor([[0.5, 0.2, 0.2, 0.1]])
    logits, ids = probs.log(), torch.zeros(1, 1, dtype=torch.long)
    kept = lambda p: torch.isfinite(decoding.TopP(p)(ids, logits))[0].tolist()  # noqa: E731
    assert kept(0.5) == [True, False, False, False]
    assert kept(0.6)[0] and sum(kept(0.6)) == 2 and not kept(0.6)[3]  # 0.5 + one of the two 0.2
    assert kept(0.75) == [True, True, True, False]
    assert kept(0.95) == [True, True, True, True]


def test_repetition_penalty_is_ctrl():
    logits = torch.tensor([[2.0, -1.0, 0.5, -3.0, 1.0]])
    ids = torch.tensor([[0, 1, 1, 3]])                                # id 1 twice: presence, not count
    out = decoding.RepetitionPenalty(2.0)(ids, logits)
    assert torch.allclose(out, torch.tensor([[1.0, -2.0, 0.5, -6.0, 1.0]]))
    # every penalised id becomes less likely, whatever its sign
    p0, p1 = logits.softmax(-1), out.softmax(-1)
    assert (p1[0, [0, 1, 3]] < p0[0, [0, 1, 3]]).all()


def test_temperature_and_greedy():
    logits, ids = _logits()
    assert torch.allclose(decoding.Temperature(0.5)(ids, logits), logits * 2)
    assert torch.equal(decoding.next_token(ids, logits, greedy=True), logits.argmax(-1))
    # a tiny temperature makes sampling greedy
    g = torch.Generator().manual_seed(0)
    assert torch.equal(decoding.next_token(ids, logits, [decoding.Temperature(1e-4)], generator=g), logits.argmax(-1))


def test_processors_reject_bad_input():
    with pytest.raises(ValueError, match="k >= 1"):
        decoding.TopK(0)
    with pytest.raises(ValueError, match="0 < p <= 1"):
        decoding.TopP(1.5)
    with pytest.raises(ValueError, match="> 0"):
        decoding.Temperature(0)
    with pytest.raises(ValueError, match=r"logits \(B, V\)"):
        decoding.TopK(2)(torch.zeros(1, 1, dtype=torch.long), torch.zeros(1, 2, 5))


def test_sampling_follows_the_processed_distribution():
    # draws from softmax(TopK(2)(z / 0.5)): only the two largest, in ratio exp(2 (z1 - z2))
    logits = torch.tensor([[1.0, 0.5, -1.0, 0.0]]).repeat(4000, 1)
    ids = torch.zeros(4000, 1, dtype=torch.long)
    draws = decoding.next_token(ids, logits, [decoding.Temperature(0.5), decoding.TopK(2)],
                                generator=torch.Generator().manual_seed(0))
    assert set(draws.tolist()) == {0, 1}
    share = (draws == 0).float().mean().item()
    expected = 1 / (1 + math.exp(-1.0))                               # sigmoid(2 * (1.0 - 0.5))
    assert abs(share - expected) < 0.03


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_processors_agree_with_transformers(seed):
    tf = pytest.importorskip("transformers")
    logits, ids = _logits(B=6, V=64, seed=seed)
    pairs = [
        (decoding.TopK(5), tf.TopKLogitsWarper(5)),
        (decoding.TopP(0.8), tf.TopPLogitsWarper(0.8)),
        (decoding.TopP(0.3), tf.TopPLogitsWarper(0.3)),
        (decoding.RepetitionPenalty(1.3), tf.RepetitionPenaltyLogitsProcessor(1.3)),
        (decoding.Temperature(0.7), tf.TemperatureLogitsWarper(0.7)),
    ]
    for ours, theirs in pairs:
        a, b = ours(ids, logits.clone()), theirs(ids, logits.clone())
        assert torch.equal(torch.isfinite(a), torch.isfinite(b)), ours
        assert torch.allclose(a[torch.isfinite(a)], b[torch.isfinite(b)]), ours


# --- the sampling loop ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gpt():
    torch.manual_seed(0)
    cfg = transformer.TransformerConfig(d_model=16, num_heads=2, d_ff=32, num_layers=2, dropout=0.0,
                                        positions="learned", max_len=32)
    return transformer.DecoderOnlyLM(11, cfg).eval()


def test_greedy_generate_is_the_argmax_of_the_model(gpt):
    prompt = torch.tensor([[1, 2, 3], [4, 5, 6]])
    out = decoding.generate(gpt, prompt, 6, greedy=True)
    assert out.shape == (2, 6)
    seq = prompt
    for t in range(6):                                                # re-run the whole sequence by hand
        nxt = gpt(seq)[:, -1].argmax(-1)
        assert torch.equal(out[:, t], nxt)
        seq = torch.cat([seq, nxt[:, None]], 1)


@pytest.mark.parametrize("procs", [[], [decoding.Temperature(0.8), decoding.TopK(4)],
                                   [decoding.RepetitionPenalty(1.5), decoding.TopP(0.9)]])
def test_cache_gives_the_same_samples(gpt, procs):
    prompt = torch.tensor([[1, 2, 3, 4]] * 3)
    a = decoding.generate(gpt, prompt, 10, procs, generator=torch.Generator().manual_seed(3), use_cache=True)
    b = decoding.generate(gpt, prompt, 10, procs, generator=torch.Generator().manual_seed(3), use_cache=False)
    assert torch.equal(a, b)


def test_generate_matches_chapter5_generate(gpt):
    prompt = torch.tensor([3, 1, 4, 1, 5])
    ours = decoding.generate(gpt, prompt[None], 8, [decoding.Temperature(0.9), decoding.TopK(3)],
                             generator=torch.Generator().manual_seed(7))[0]
    theirs = transformer.generate(gpt, prompt, 8, temperature=0.9, top_k=3, generator=torch.Generator().manual_seed(7))
    assert torch.equal(ours, theirs)


def test_eos_stops_a_row_and_complete_handles_lengths(gpt):
    prompts = [[1, 2], [3, 4, 5], [6, 7], [8]]
    greedy = [decoding.generate(gpt, torch.tensor([p]), 8, greedy=True)[0].tolist() for p in prompts]
    eos = greedy[0][2]                                                # an id the first prompt produces third
    out = decoding.complete(gpt, prompts, 8, greedy=True, eos_id=eos)
    for row, full in zip(out, greedy):
        if eos in full:
            assert row == full[:full.index(eos) + 1]
        else:
            assert row == full
    assert out[0][-1] == eos and len(out[0]) <= 3 and any(len(r) < 8 for r in out)


def test_generate_errors(gpt):
    with pytest.raises(ValueError, match="exceeds the model's context of 32"):
        decoding.generate(gpt, torch.zeros(1, 30, dtype=torch.long), 5)
    with pytest.raises(ValueError, match=r"\(B, T0\)"):
        decoding.generate(gpt, torch.zeros(5, dtype=torch.long), 5)


def test_distinct_n():
    assert decoding.distinct_n(["abab"], 2) == pytest.approx(2 / 3)   # ab, ba, ab
    assert decoding.distinct_n([[1, 2, 3], [1, 2, 4]], 1) == pytest.approx(4 / 6)
    with pytest.raises(ValueError, match="undefined"):
        decoding.distinct_n(["a"], 2)


# --- SFT -----------------------------------------------------------------------------------------

def test_sft_tensors_mask_the_prompt():
    batch = sft.sft_tensors([[5, 6, 7], [8]], [[9, 10], [11, 12, 13]], eos_id=2, pad_id=0)
    # example 0: 5 6 7 | 9 10 <eos>   -> inputs 5 6 7 9 10, labels - - 9 10 2
    assert batch.ids.tolist() == [[5, 6, 7, 9, 10], [8, 11, 12, 13, 0]]
    assert batch.labels.tolist() == [[-100, -100, 9, 10, 2], [11, 12, 13, 2, -100]]
    full = sft.sft_tensors([[5, 6, 7]], [[9]], eos_id=2, mask_prompt=False)
    assert full.labels.tolist() == [[6, 7, 9, 2]]
    with pytest.raises(ValueError, match="shorter than the longest"):
        sft.sft_tensors([[1, 2, 3]], [[4]], eos_id=2, max_len=2)
    with pytest.raises(ValueError, match="empty"):
        sft.sft_tensors([[]], [[4]], eos_id=2)


def test_sft_loss_counts_only_response_tokens():
    torch.manual_seed(0)
    batch = sft.sft_tensors([[5, 6, 7], [8]], [[9, 10], [11, 12, 13]], eos_id=2)
    logits = torch.randn(2, 5, 14, requires_grad=True)
    loss = sft.sft_loss(logits, batch.labels)
    # written out: mean of -log softmax at the 7 labelled positions
    logp = logits.log_softmax(-1)
    terms = [-logp[b, t, batch.labels[b, t]] for b in range(2) for t in range(5) if batch.labels[b, t] != -100]
    assert len(terms) == 7
    assert torch.allclose(loss, torch.stack(terms).mean())
    loss.backward()                                                   # prompt positions get no gradient
    assert (logits.grad[0, :2] == 0).all() and (logits.grad[1, 4] == 0).all()
    assert (logits.grad[0, 2:].abs().sum(-1) > 0).all()
    with pytest.raises(ValueError, match="every label is -100"):
        sft.sft_loss(logits, torch.full((2, 5), -100))


# --- DPO -----------------------------------------------------------------------------------------

def test_dpo_loss_is_the_written_formula():
    g = torch.Generator().manual_seed(0)
    pc, pr, rc, rr = (torch.randn(16, generator=g) * 5 for _ in range(4))
    for beta in (0.1, 0.5, 2.0):
        loss, r_w, r_l = dpo.dpo_loss(pc, pr, rc, rr, beta)
        margin = beta * ((pc - rc) - (pr - rr))
        expected = torch.tensor([-math.log(1 / (1 + math.exp(-m))) for m in margin.tolist()]).mean()
        assert torch.allclose(loss, expected, atol=1e-6)
        assert torch.allclose(r_w - r_l, margin)
    # equal policy and reference: zero margin, loss log 2
    assert torch.allclose(dpo.dpo_loss(pc, pr, pc, pr, 0.1)[0], torch.tensor(math.log(2)))
    with pytest.raises(ValueError, match="four"):
        dpo.dpo_loss(pc, pr[:3], rc, rr)


def test_dpo_gradient_raises_chosen_lowers_rejected():
    pc, pr = torch.zeros(4, requires_grad=True), torch.zeros(4, requires_grad=True)
    loss, *_ = dpo.dpo_loss(pc, pr, torch.zeros(4), torch.zeros(4), beta=0.5)
    loss.backward()
    assert (pc.grad < 0).all() and (pr.grad > 0).all()                # descent raises log pi(y_w), lowers log pi(y_l)
    assert torch.allclose(pc.grad, torch.full((4,), -0.5 * 0.5 / 4))  # beta * sigmoid(-0) / B


def test_sequence_logprob_and_preference_model(gpt):
    batch = sft.sft_tensors([[1, 2], [3]], [[4, 5], [6, 7, 8]], eos_id=2)
    logits = gpt(batch.ids)
    lp = dpo.sequence_logprob(logits, batch.labels)
    by_hand = [sum(logits[b, t].log_softmax(-1)[batch.labels[b, t]] for t in range(batch.ids.shape[1])
                   if batch.labels[b, t] != -100) for b in range(2)]
    assert torch.allclose(lp, torch.stack(by_hand))
    model = dpo.PreferenceModel(gpt)
    pair = model(batch.ids, batch.labels, batch.ids.flip(0), batch.labels.flip(0))
    assert pair.shape == (2, 2) and torch.allclose(pair[:, 0], pair.flip(0)[:, 1])
    ref = dpo.reference_logps(gpt, batch.ids, batch.labels, batch.ids.flip(0), batch.labels.flip(0))
    assert torch.allclose(ref, pair)
    assert dpo.DPOLoss(0.1)(pair, ref).item() == pytest.approx(math.log(2))
    assert dpo.reward_margin(pair + torch.tensor([1.0, 0.0]), ref, beta=0.1).item() == pytest.approx(0.1)
    assert dpo.reward_accuracy(pair + torch.tensor([1.0, 0.0]), ref).item() == 1.0


# --- scaling ------------------------------------------------------------------------------------

def test_power_law_fit_recovers_known_laws():
    n = np.array([1e3, 3e3, 1e4, 3e4, 1e5])
    law = scaling.fit_power_law(n, 7.0 * n ** -0.3)
    assert law.alpha == pytest.approx(0.3) and law.a == pytest.approx(7.0) and law.c == 0
    with_c = scaling.fit_power_law(n, 7.0 * n ** -0.3 + 0.2, offset=True)
    assert with_c.alpha == pytest.approx(0.3, rel=1e-3) and with_c.c == pytest.approx(0.2, rel=1e-3)
    assert np.allclose(with_c(n), 7.0 * n ** -0.3 + 0.2, rtol=1e-4)
    # ignoring the offset underestimates the exponent
    assert scaling.fit_power_law(n, 7.0 * n ** -0.3 + 0.2).alpha < 0.25


def test_power_law_over_seeds_spread():
    n = np.array([1e3, 1e4, 1e5])
    rng = np.random.default_rng(0)
    rows = [2.0 * n ** -a for a in (0.1, 0.2, 0.3)]
    res = scaling.fit_power_law_seeds(n, rows)
    assert res.alpha_mean == pytest.approx(0.2) and res.alpha_sd == pytest.approx(0.1)
    noisy = scaling.fit_power_law_seeds(n, [2.0 * n ** -0.2 * np.exp(rng.normal(0, 0.01, 3)) for _ in range(5)])
    assert abs(noisy.alpha_mean - 0.2) < 0.02 and noisy.alpha_sd > 0
    with pytest.raises(ValueError, match="2 seeds"):
        scaling.fit_power_law_seeds(n, rows[:1])
    with pytest.raises(ValueError, match="positive"):
        scaling.fit_power_law([1, 2], [1.0, -1.0])


def test_budget_arithmetic():
    assert scaling.chinchilla_tokens(70e9) == pytest.approx(1.4e12)   # Chinchilla: 70B parameters, 1.4T tokens
    assert scaling.training_flops(70e9, 1.4e12) == pytest.approx(5.88e23)
    # 3 tokens of 2 bytes at ln 2 nats per token: 1 bit per token, 0.5 bit per byte
    assert scaling.bits_per_byte(math.log(2), 3, 6) == pytest.approx(0.5)


# --- with the Llama and its preallocated cache ----------------------------------------------------

@pytest.fixture(scope="module")
def llama():
    from dlbook.llm import Llama, LlamaConfig

    torch.manual_seed(1)
    return Llama(LlamaConfig(dim=16, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=13, max_seq_len=8)).eval()


@pytest.mark.parametrize("greedy", [True, False])
def test_generate_with_the_llama_cache(llama, greedy):
    prompt = torch.tensor([[1, 2, 3], [4, 5, 6]])
    procs = [] if greedy else [decoding.Temperature(1.3), decoding.TopP(0.9)]
    # 3 + 12 positions: longer than max_seq_len = 8, the default size of the Llama's cache (RoPE has no limit)
    a = decoding.generate(llama, prompt, 12, procs, greedy, torch.Generator().manual_seed(0), use_cache=True)
    b = decoding.generate(llama, prompt, 12, procs, greedy, torch.Generator().manual_seed(0), use_cache=False)
    assert torch.equal(a, b)
    if greedy:
        seq = torch.cat([prompt, a], 1)
        assert torch.equal(llama(seq[:, :-1])[:, 2:].argmax(-1), a)    # each new id is the argmax given the ones before


# --- pre-training pieces and the ablations ---------------------------------------------------------

def test_token_windows_and_stream():
    from dlbook.llm import pretrain

    ids = torch.arange(100)
    X, Y = pretrain.token_windows(ids, 8)
    assert X.shape == Y.shape == (12, 8) and torch.equal(Y, X + 1) and X[1, 0] == 8
    X2, _ = pretrain.token_windows(ids, 8, stride=4)
    assert X2.shape == (23, 8)
    stream = pretrain.WindowStream(X, Y, batch_size=3, steps_per_epoch=2, seed=0)
    seen = [x[0] for _ in range(2) for x, _ in stream]                # two passes continue, never repeat
    assert len(seen) == 4 and len(torch.cat(seen)[:, 0].unique()) == 12
    with pytest.raises(ValueError, match="ran out"):
        list(stream)
    with pytest.raises(ValueError, match="too short"):
        pretrain.token_windows(torch.arange(5), 8)


def test_pretrain_learns_a_periodic_stream():
    from dlbook.llm import Llama, LlamaConfig, pretrain

    ids = torch.arange(4000) % 7                                      # 0 1 2 ... 6 0 1 ...: the next id is certain
    X, Y = pretrain.token_windows(ids, 16, stride=3)
    torch.manual_seed(0)
    model = Llama(LlamaConfig(dim=16, n_layers=1, n_heads=2, vocab_size=7, max_seq_len=16))
    hist = pretrain.pretrain(model, X, Y, steps=60, batch_size=16, lr=1e-2, chunks=3)
    assert len(hist["train_loss"]) == 3
    assert hist["train_loss"][0] > 1.0 and hist["train_loss"][-1] < 0.1


@pytest.mark.parametrize("undo", ["rmsnorm", "rope", "swiglu", "no_bias"])
def test_llama_variants(undo):
    from dlbook.llm import Llama, LlamaConfig, RMSNorm
    from dlbook.llm.ablation import llama_variant

    cfg = LlamaConfig(dim=16, n_layers=2, n_heads=4, vocab_size=11, max_seq_len=12)
    base, var = Llama(cfg), llama_variant(cfg, undo)
    n_base, n_var = (sum(p.numel() for p in m.parameters()) for m in (base, var))
    assert n_base == cfg.num_parameters()
    x = torch.randint(0, 11, (2, 12))
    assert var(x).shape == (2, 12, 11)
    # still causal: the logits at t do not depend on later ids
    y = x.clone()
    y[:, 6:] = (y[:, 6:] + 1) % 11
    assert torch.allclose(var(x)[:, :6], var(y)[:, :6], atol=1e-6)
    if undo == "rmsnorm":
        assert not any(isinstance(m, RMSNorm) for m in var.modules()) and n_var == n_base
    if undo == "swiglu":
        assert n_var == n_base                                        # 2 * E * 3F/2 = 3 * E * F
    if undo == "no_bias":
        assert n_var - n_base == sum(m.out_features for m in base.modules() if isinstance(m, torch.nn.Linear))
    if undo == "rope":
        assert n_var - n_base == 12 * 16                              # the learned position table
        # without RoPE and with the positions in the input: a shifted copy of a window sees different inputs,
        # but attention itself is position-blind (a permutation of the keys' order changes nothing)
        attn = var.layers[0].self_attn
        h = torch.randn(1, 5, 16)
        out = attn(h, torch.arange(5))
        assert torch.allclose(out, attn(h, torch.arange(5) + 3), atol=1e-6)  # no rotation at any offset
    with pytest.raises(ValueError, match="unknown ablation"):
        llama_variant(cfg, "layernorm")
