"""dlbook.attention against torch: F.scaled_dot_product_attention and nn.MultiheadAttention."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook.attention import (
    LearnedPositionalEmbedding,
    MultiHeadAttention,
    SinusoidalPositionalEncoding,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
    sinusoidal_encoding,
)

TOL = dict(atol=1e-6, rtol=1e-5)


def _qkv(B=3, h=2, Tq=5, Tk=7, d=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(B, h, Tq, d, generator=g), torch.randn(B, h, Tk, d, generator=g),
            torch.randn(B, h, Tk, d, generator=g))


def test_sdpa_matches_torch_without_and_with_masks():
    q, k, v = _qkv()
    out, w = scaled_dot_product_attention(q, k, v)
    assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v), **TOL)
    assert torch.allclose(w.sum(-1), torch.ones(3, 2, 5), **TOL)
    lengths = torch.tensor([7, 4, 1])
    pad = padding_mask(torch.arange(7)[None] < lengths[:, None])   # (3, 1, 1, 7)
    out, w = scaled_dot_product_attention(q, k, v, pad)
    assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v, attn_mask=pad), **TOL)
    assert (w[2, :, :, 1:] == 0).all() and torch.allclose(w[2, :, :, 0], torch.ones(2, 5))
    q, k, v = _qkv(Tq=6, Tk=6)
    cm = causal_mask(6)
    out, w = scaled_dot_product_attention(q, k, v, cm)
    assert torch.allclose(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), **TOL)
    assert (w.triu(1) == 0).all()


def test_sdpa_is_softmax_of_scaled_scores_by_hand():
    q, k, v = _qkv(B=1, h=1, Tq=2, Tk=3, d=4)
    s = torch.einsum("bhid,bhjd->bhij", q, k) / 2.0               # sqrt(4) = 2
    out, w = scaled_dot_product_attention(q, k, v)
    assert torch.allclose(w, s.softmax(-1), **TOL)


def test_causal_mask_with_cached_keys():
    m = causal_mask(2, 5)
    assert m.tolist() == [[True, True, True, True, False], [True] * 5]
    with pytest.raises(ValueError, match="T_k >= T_q"):
        causal_mask(3, 2)


def test_sdpa_errors_name_shapes():
    q, k, v = _qkv()
    with pytest.raises(ValueError, match=r"q \(3, 2, 5, 8\) and k \(3, 2, 7, 4\)"):
        scaled_dot_product_attention(q, k[..., :4], v)
    with pytest.raises(ValueError, match="same length T_k"):
        scaled_dot_product_attention(q, k, v[:, :, :6])
    with pytest.raises(ValueError, match=r"mask of shape \(4, 7\) does not broadcast to the scores' shape \(3, 2, 5, 7\)"):
        scaled_dot_product_attention(q, k, v, torch.ones(4, 7, dtype=torch.bool))
    with pytest.raises(TypeError, match="boolean"):
        scaled_dot_product_attention(q, k, v, torch.ones(5, 7))


@pytest.mark.parametrize("fused", [False, True])
def test_multihead_matches_torch_with_copied_weights_and_masks(fused):
    torch.manual_seed(0)
    E, h, B, Tq, Tk = 16, 4, 3, 5, 6
    ref = nn.MultiheadAttention(E, h, batch_first=True).eval()
    mine = MultiHeadAttention(E, h, fused=fused).load_torch(ref).eval()
    x, mem = torch.randn(B, Tq, E), torch.randn(B, Tk, E)
    key_mask = torch.arange(Tk)[None] < torch.tensor([6, 3, 1])[:, None]  # (B, Tk) True = real
    out, w = mine(x, mem, mem, key_mask=key_mask)
    ref_out, ref_w = ref(x, mem, mem, key_padding_mask=~key_mask, average_attn_weights=False)
    assert torch.allclose(out, ref_out, **TOL)
    if not fused:
        assert torch.allclose(w, ref_w, **TOL)
    cm = causal_mask(Tq)
    out, _ = mine(x, key_mask=torch.ones(B, Tq, dtype=torch.bool), attn_mask=cm)
    ref_out, _ = ref(x, x, x, attn_mask=~cm)
    assert torch.allclose(out, ref_out, **TOL)


def test_multihead_split_merge_roundtrip_and_head_independence():
    mha = MultiHeadAttention(12, 3)
    x = torch.randn(2, 4, 12)
    assert torch.equal(mha.merge_heads(mha.split_heads(x)), x)
    # head j of the split holds features j*d .. (j+1)*d - 1 of every position
    assert torch.equal(mha.split_heads(x)[:, 1], x[:, :, 4:8])


def test_multihead_cache_equals_full_causal_pass():
    torch.manual_seed(1)
    mha = MultiHeadAttention(8, 2).eval()
    x = torch.randn(2, 5, 8)
    full, _ = mha(x, attn_mask=causal_mask(5))
    cache: dict = {}
    steps = [mha(x[:, t:t + 1], cache=cache)[0] for t in range(5)]
    assert torch.allclose(torch.cat(steps, 1), full, **TOL)
    assert cache["k"].shape == (2, 2, 5, 4)


def test_multihead_errors():
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match=r"query must have shape \(B, T_q, 8\), got \(2, 5, 6\)"):
        mha(torch.randn(2, 5, 6))
    with pytest.raises(ValueError, match=r"key_mask must be boolean of shape \(2, 5\)"):
        mha(torch.randn(2, 5, 8), key_mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="num_heads=2"):
        mha.load_torch(nn.MultiheadAttention(8, 4))


def test_sinusoidal_encoding_formula_and_relative_offset():
    pe = sinusoidal_encoding(50, 16)
    p, i = 7, 3
    assert math.isclose(pe[p, 2 * i].item(), math.sin(p / 10000 ** (2 * i / 16)), abs_tol=1e-6)
    assert math.isclose(pe[p, 2 * i + 1].item(), math.cos(p / 10000 ** (2 * i / 16)), abs_tol=1e-6)
    # PE(p + k) = M_k PE(p) with M_k block-diagonal rotations that do not depend on p
    k = 5
    w = 10000.0 ** (-torch.arange(0, 16, 2, dtype=torch.float64) / 16)
    M = torch.zeros(16, 16, dtype=torch.float64)
    for j, f in enumerate(w):
        c, s = math.cos(k * f), math.sin(k * f)
        M[2 * j:2 * j + 2, 2 * j:2 * j + 2] = torch.tensor([[c, s], [-s, c]], dtype=torch.float64)
    assert torch.allclose(pe[:-k].double() @ M.T, pe[k:].double(), atol=1e-5)
    with pytest.raises(ValueError, match="even"):
        sinusoidal_encoding(4, 5)


def test_position_modules_add_and_check_lengths():
    sin = SinusoidalPositionalEncoding(8, max_len=10)
    x = torch.zeros(2, 4, 8)
    assert torch.equal(sin(x, start=3)[0], sinusoidal_encoding(10, 8)[3:7])
    learned = LearnedPositionalEmbedding(8, max_len=10)
    assert torch.equal(learned(x)[1], learned.embed.weight[:4])
    with pytest.raises(ValueError, match="start \\+ T <= 10"):
        sin(torch.zeros(1, 11, 8))
