"""dlbook.transformer against torch's TransformerEncoderLayer / TransformerDecoderLayer, and the models."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlbook import fit
from dlbook.attention import causal_mask
from dlbook.transformer import (
    DecoderLayer,
    DecoderOnlyLM,
    EncoderDecoder,
    EncoderLayer,
    TransformerConfig,
    TransformerEncoder,
    generate,
    warmup_scheduler,
)

TOL = dict(atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("pre_norm", [False, True])
def test_encoder_layer_matches_torch(pre_norm):
    torch.manual_seed(0)
    cfg = TransformerConfig(d_model=16, num_heads=4, d_ff=32, dropout=0.0, pre_norm=pre_norm)
    ref = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True, norm_first=pre_norm).eval()
    mine = EncoderLayer(cfg).eval()
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(3, 6, 16)
    key_mask = torch.arange(6)[None] < torch.tensor([6, 4, 2])[:, None]
    assert torch.allclose(mine(x, key_mask), ref(x, src_key_padding_mask=~key_mask), **TOL)
    cm = causal_mask(6)
    assert torch.allclose(mine(x, attn_mask=cm), ref(x, src_mask=~cm), **TOL)


def test_gelu_and_eps_options_match_torch():
    torch.manual_seed(0)
    cfg = TransformerConfig(d_model=16, num_heads=4, d_ff=32, dropout=0.0, pre_norm=False, activation="gelu", norm_eps=1e-12)
    ref = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, activation="gelu", layer_norm_eps=1e-12, batch_first=True).eval()
    mine = EncoderLayer(cfg).eval()
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(2, 5, 16)
    assert torch.allclose(mine(x), ref(x), **TOL)
    relu = EncoderLayer(TransformerConfig(d_model=16, num_heads=4, d_ff=32, dropout=0.0, pre_norm=False)).eval()
    relu.load_state_dict(ref.state_dict())
    assert not torch.allclose(relu(x), ref(x), **TOL)               # the option is not ignored
    with pytest.raises(ValueError, match="activation"):
        TransformerConfig(activation="tanh")


@pytest.mark.parametrize("pre_norm", [False, True])
def test_decoder_layer_matches_torch(pre_norm):
    torch.manual_seed(0)
    cfg = TransformerConfig(d_model=16, num_heads=2, d_ff=24, dropout=0.0, pre_norm=pre_norm)
    ref = nn.TransformerDecoderLayer(16, 2, 24, dropout=0.0, batch_first=True, norm_first=pre_norm).eval()
    mine = DecoderLayer(cfg).eval()
    mine.load_state_dict(ref.state_dict())
    x, mem = torch.randn(2, 5, 16), torch.randn(2, 7, 16)
    mem_mask = torch.arange(7)[None] < torch.tensor([7, 3])[:, None]
    cm = causal_mask(5)
    got = mine(x, mem, mem_mask, cm)
    want = ref(x, mem, tgt_mask=~cm, memory_key_padding_mask=~mem_mask)
    assert torch.allclose(got, want, **TOL)


def test_fused_and_explicit_attention_agree_in_a_model():
    torch.manual_seed(0)
    cfg = TransformerConfig(d_model=16, num_heads=4, d_ff=32, num_layers=2, dropout=0.0)
    a = EncoderDecoder(11, 9, cfg).eval()
    b = EncoderDecoder(11, 9, TransformerConfig(**{**cfg.__dict__, "fused": True})).eval()
    b.load_state_dict(a.state_dict())
    src = torch.randint(4, 11, (3, 8))
    src_mask = torch.arange(8)[None] < torch.tensor([8, 5, 2])[:, None]
    tgt = torch.randint(4, 9, (3, 6))
    assert torch.allclose(a(src, src_mask, tgt), b(src, src_mask, tgt), **TOL)


def test_encoder_decoder_is_causal_and_ignores_padding():
    torch.manual_seed(0)
    cfg = TransformerConfig(d_model=16, num_heads=2, d_ff=32, dropout=0.0)
    m = EncoderDecoder(12, 10, cfg).eval()
    src = torch.randint(4, 12, (2, 7))
    src_mask = torch.arange(7)[None] < torch.tensor([7, 4])[:, None]
    tgt = torch.randint(4, 10, (2, 5))
    out = m(src, src_mask, tgt)
    assert out.shape == (2, 5, 10)
    tgt2 = tgt.clone()
    tgt2[:, 3:] = 4                                                 # change the future
    assert torch.allclose(m(src, src_mask, tgt2)[:, :3], out[:, :3], **TOL)
    src2 = src.clone()
    src2[1, 4:] = 5                                                 # change the padding
    assert torch.allclose(m(src2, src_mask, tgt)[1], out[1], **TOL)
    ids, w = m.greedy_decode(src, src_mask, max_len=4)
    assert ids.shape == (2, 4) and w.shape == (2, 4, 7)
    first = m(src, src_mask, torch.ones(2, 1, dtype=torch.long))[:, 0].argmax(-1)  # from <bos> alone
    assert torch.equal(ids[:, 0], first)
    with pytest.raises(ValueError, match="boolean src_mask"):
        m(src, src_mask.long(), tgt)


def test_ffn_weights_differ_between_layers_and_are_shared_over_positions():
    torch.manual_seed(0)
    cfg = TransformerConfig(d_model=8, num_heads=2, d_ff=16, num_layers=2, dropout=0.0)
    lm = DecoderOnlyLM(20, cfg)
    l0, l1 = lm.blocks.layers
    assert l0.linear1.weight.data_ptr() != l1.linear1.weight.data_ptr()
    assert not torch.equal(l0.linear1.weight, l1.linear1.weight)
    x = torch.randn(1, 3, 8)
    x[0, 2] = x[0, 0]
    y = l0.ffn(x)
    assert torch.equal(y[0, 2], y[0, 0])                            # same input, same position-wise map


def test_decoder_only_lm_cache_and_generate():
    torch.manual_seed(0)
    cfg = TransformerConfig(d_model=16, num_heads=2, d_ff=32, num_layers=2, dropout=0.0, positions="learned", max_len=32)
    lm = DecoderOnlyLM(10, cfg).eval()
    ids = torch.randint(0, 10, (2, 9))
    full = lm(ids)
    caches = lm.new_caches()
    steps = [lm(ids[:, t:t + 1], caches, t) for t in range(9)]
    assert torch.allclose(torch.cat(steps, 1), full, **TOL)
    prefix = torch.tensor([1, 2, 3])
    g1 = generate(lm, prefix, 10, generator=torch.Generator().manual_seed(0), top_k=3)
    g2 = generate(lm, prefix, 10, generator=torch.Generator().manual_seed(0), top_k=3, use_cache=False)
    assert torch.equal(g1, g2) and g1.shape == (10,)
    greedy = generate(lm, prefix, 1, greedy=True)
    assert int(greedy[0]) == int(lm(prefix[None])[0, -1].argmax())
    # top_k=1 sampling is greedy decoding
    assert torch.equal(generate(lm, prefix, 6, top_k=1), generate(lm, prefix, 6, greedy=True))
    with pytest.raises(ValueError, match="exceeds max_len"):
        generate(lm, prefix, 40)


def test_warmup_schedule_peaks_at_lr_and_fit_steps_it_per_batch():
    model = nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = warmup_scheduler(opt, warmup_steps=4)
    X, y = torch.randn(12, 2), torch.randn(12, 1)
    loader = [(X[i:i + 2], y[i:i + 2]) for i in range(0, 12, 2)]  # 6 batches
    fit(model, nn.MSELoss(), opt, loader, epochs=1, scheduler=sched, scheduler_interval="batch", progress=False)
    assert sched.last_epoch == 6
    assert abs(opt.param_groups[0]["lr"] - (4 / 7) ** 0.5) < 1e-9
    lrs = [min((s + 1) / 4, (4 / (s + 1)) ** 0.5) for s in range(10)]
    assert max(lrs) == 1.0 and lrs.index(1.0) == 3
    with pytest.raises(ValueError, match="scheduler_interval"):
        fit(model, nn.MSELoss(), opt, loader, epochs=1, scheduler=sched, scheduler_interval="step", progress=False)


def test_encoder_decoder_cache_matches_recomputing():
    torch.manual_seed(0)
    cfg = TransformerConfig(d_model=16, num_heads=2, d_ff=32, num_layers=2, dropout=0.0, max_len=16)
    m = EncoderDecoder(12, 10, cfg).eval()
    src = torch.randint(4, 12, (3, 7))
    src_mask = torch.arange(7)[None] < torch.tensor([7, 4, 2])[:, None]
    tgt = torch.randint(4, 10, (3, 6))
    with torch.no_grad():
        memory = m.encode(src, src_mask)
        full = m.decode(tgt, memory, src_mask)                      # one pass over all positions
        caches = m.new_caches()
        steps = [m.decode(tgt[:, t:t + 1], memory, src_mask, caches, t) for t in range(6)]
    assert torch.allclose(torch.cat(steps, 1), full, **TOL)
    assert caches[0]["k"].shape == (3, 2, 6, 8)                      # (B, h, T, d)
    ids, w = m.greedy_decode(src, src_mask, max_len=5)
    ids_c, w_c = m.greedy_decode(src, src_mask, max_len=5, use_cache=True)
    assert torch.equal(ids, ids_c) and torch.allclose(w, w_c, **TOL)  # the same ids and cross-attention weights
    with pytest.raises(ValueError, match="number of cached positions"):
        m.decode(tgt[:, :1], memory, src_mask, caches, 2)


def test_encoder_stack_returns_every_layer_on_request_and_can_share_one_layer():
    torch.manual_seed(0)
    cfg = TransformerConfig(d_model=16, num_heads=4, d_ff=32, num_layers=3, dropout=0.0, pre_norm=True)
    enc = TransformerEncoder(cfg).eval()
    x, mask = torch.randn(2, 5, 16), torch.tensor([[True] * 5, [True] * 2 + [False] * 3])
    out = enc(x, mask, need_weights=True)
    assert torch.equal(out.last_hidden, enc(x, mask)) and out.hidden_states[-1] is out.last_hidden
    assert len(out.hidden_states) == 4 and out.hidden_states[0] is x and len(out.attentions) == 3
    h = x
    for layer, state, w in zip(enc.layers, out.hidden_states[1:-1], out.attentions):
        h, ref_w = layer(h, mask, need_weights=True)
        assert torch.equal(h, state) and torch.equal(w, ref_w)
    assert out.attentions[2][1, :, :, 2:].abs().max() == 0          # no weight on padding
    shared = TransformerEncoder(cfg, share_layers=True)
    assert len(shared.layers) == 3 and len({id(layer) for layer in shared.layers}) == 1
    assert sum(p.numel() for p in shared.parameters()) < sum(p.numel() for p in enc.parameters())
    with pytest.raises(ValueError, match="num_layers"):
        TransformerEncoder(cfg, num_layers=0)
    fused = TransformerEncoder(TransformerConfig(**{**cfg.__dict__, "fused": True}))
    assert fused(x, mask, need_weights=True).attentions == (None, None, None)


def test_encoder_layer_runs_with_its_linear_layers_wrapped():
    """PEFT wraps linear1 (LoRA, chapter 10's 4-bit QLoRA base) in modules without ``in_features``:
    the layer's input check reads the width from its norm, so the wrapped layer still runs."""

    class Wrapped(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            return self.inner(x)

    config = TransformerConfig(d_model=8, num_heads=2, d_ff=16, num_layers=1, dropout=0.0)
    layer = EncoderLayer(config).eval()
    x = torch.randn(2, 5, 8)
    expected = layer(x)
    layer.linear1 = Wrapped(layer.linear1)
    assert torch.equal(layer(x), expected)
    with pytest.raises(ValueError):
        layer(torch.randn(2, 5, 7))
