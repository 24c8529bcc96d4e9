"""dlbook.distill: KD loss against its formula and F.kl_div, quantisation bounds, pruning counts, SVD layers."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook import distill


def _logits(seed: int, b: int = 6, c: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(b, c, generator=g, dtype=torch.float64) * 3, torch.randn(b, c, generator=g, dtype=torch.float64) * 3


def test_softmax_t_matches_torch_and_tends_to_uniform():
    z, _ = _logits(0)
    torch.testing.assert_close(distill.softmax_t(z, 1.0), torch.softmax(z, -1))
    torch.testing.assert_close(distill.softmax_t(z, 3.0), torch.softmax(z / 3.0, -1))
    far = distill.softmax_t(z, 1e6)
    torch.testing.assert_close(far, torch.full_like(far, 1 / z.shape[1]), atol=1e-5, rtol=0)
    # a larger T always raises the entropy of a non-uniform distribution
    ent = [-(p * p.log()).sum(-1) for p in (distill.softmax_t(z, t) for t in (0.5, 1, 2, 8))]
    assert all(bool((a < b).all()) for a, b in zip(ent, ent[1:]))


@pytest.mark.parametrize("T", [1.0, 2.5, 7.0])
def test_kd_loss_equals_direct_formula_and_kl_div(T):
    s, t = _logits(1)
    y = torch.tensor([0, 1, 2, 3, 4, 0])
    p_t, p_s = torch.softmax(t / T, -1), torch.softmax(s / T, -1)
    direct = (p_t * (p_t.log() - p_s.log())).sum(-1).mean() * T**2
    torch.testing.assert_close(distill.kd_loss(s, t, None, T), direct)
    kl = F.kl_div(F.log_softmax(s / T, -1), F.log_softmax(t / T, -1), reduction="batchmean", log_target=True) * T**2
    torch.testing.assert_close(distill.kd_loss(s, t, None, T), kl)
    mixed = 0.7 * direct + 0.3 * F.cross_entropy(s, y)
    torch.testing.assert_close(distill.kd_loss(s, t, y, T, alpha=0.7), mixed)


def test_kd_loss_gradient_does_not_reach_the_teacher_and_vanishes_at_the_teacher():
    s, t = _logits(2)
    s.requires_grad_(True)
    t.requires_grad_(True)
    distill.kd_loss(s, t, None, 3.0).backward()
    assert t.grad is None
    s2 = t.detach().clone().requires_grad_(True)
    distill.kd_loss(s2, t.detach(), None, 3.0).backward()
    assert s2.grad.abs().max() < 1e-12


@pytest.mark.parametrize("T", [0.0, -1.0])
def test_bad_temperature_raises(T):
    s, t = _logits(3)
    with pytest.raises(ValueError, match="T must be > 0"):
        distill.kd_loss(s, t, None, T)
    with pytest.raises(ValueError, match="T must be > 0"):
        distill.softmax_t(s, T)
    with pytest.raises(ValueError, match="T must be > 0"):
        distill.Distiller(nn.Linear(2, 2), nn.Linear(2, 2), T=T)


def test_kd_loss_shape_errors():
    s, t = _logits(4)
    with pytest.raises(ValueError, match=r"\(6, 5\) and \(6, 4\)"):
        distill.kd_loss(s, t[:, :4])
    with pytest.raises(ValueError, match="targets must have shape"):
        distill.kd_loss(s, t, torch.zeros(5, dtype=torch.long))


def test_distiller_trains_the_student_only():
    torch.manual_seed(0)
    student, teacher = nn.Linear(4, 3), nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5))
    kd = distill.Distiller(student, teacher, T=2.0, alpha=0.5)
    kd.train()
    assert not teacher.training and all(not p.requires_grad for p in teacher.parameters())
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    out = kd(x)
    torch.testing.assert_close(out, student(x))
    expected = distill.kd_loss(out, teacher(x), y, 2.0, 0.5)
    torch.testing.assert_close(kd.loss(out, y), expected)


def test_distiller_takes_precomputed_teacher_logits():
    torch.manual_seed(0)
    student, teacher = nn.Linear(4, 3), nn.Linear(4, 3)
    kd = distill.Distiller(student, teacher, T=2.0, alpha=0.5)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    out = kd(x)
    online = kd.loss(out, y)
    offline_logits = teacher(x).detach() + 1.0  # softmax is shift-invariant: the same soft targets
    torch.testing.assert_close(kd(x, offline_logits), out)
    torch.testing.assert_close(kd.loss(out, y), online)
    other = torch.randn(8, 3)
    kd(x, other)
    torch.testing.assert_close(kd.loss(out, y), distill.kd_loss(out, other, y, 2.0, 0.5))
    with pytest.raises(ValueError, match=r"\(8, C\)"):
        kd(x, other[:5])


def test_hint_regressor_shapes_and_loss():
    reg = distill.HintRegressor(3, 5)
    h, hint = torch.randn(4, 3), torch.randn(4, 5)
    torch.testing.assert_close(reg.loss(h, hint), F.mse_loss(reg.proj(h), hint))
    with pytest.raises(ValueError, match=r"\(B, 3\)"):
        reg(torch.randn(4, 2))


@pytest.mark.parametrize("s", [0.0, 0.3, 0.5, 0.9, 0.999])
def test_magnitude_mask_prunes_exactly_the_asked_fraction(s):
    w = torch.randn(37, 23, generator=torch.Generator().manual_seed(5))
    mask = distill.magnitude_mask(w, s)
    assert mask.shape == w.shape and mask.dtype == torch.bool
    assert int((~mask).sum()) == round(s * w.numel())
    if 0 < s:
        assert w[~mask].abs().max() <= w[mask].abs().min()  # the removed ones are the smallest


def test_magnitude_mask_counts_exactly_with_ties():
    w = torch.tensor([1.0, 1.0, 1.0, 1.0, 2.0, 2.0])
    assert int((~distill.magnitude_mask(w, 0.5)).sum()) == 3


@pytest.mark.parametrize("s", [1.0, -0.1, 1.5])
def test_bad_sparsity_raises(s):
    with pytest.raises(ValueError, match=r"sparsity must be in \[0, 1\)"):
        distill.magnitude_mask(torch.randn(4, 4), s)
    with pytest.raises(ValueError, match=r"sparsity must be in \[0, 1\)"):
        distill.prune_linear_layers(nn.Linear(3, 3), s)


@pytest.mark.parametrize("scope", ["layer", "global"])
def test_prune_linear_layers(scope):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
    masks = distill.prune_linear_layers(model, 0.6, scope)
    assert set(masks) == {"0.weight", "2.weight"}
    weights = [model[0].weight, model[2].weight]
    assert distill.sparsity(weights) == pytest.approx(0.6, abs=1 / 250)
    if scope == "layer":
        assert all(distill.sparsity([w]) == pytest.approx(0.6, abs=1 / w.numel()) for w in weights)
    assert model[0].bias.ne(0).all()


@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("bits", [8, 4])
def test_quantize_round_trip_error_is_at_most_half_a_step(axis, bits):
    w = torch.randn(16, 9, generator=torch.Generator().manual_seed(6)) * torch.linspace(0.01, 3, 16)[:, None]
    q, scale = distill.quantize_symmetric(w, bits, axis)
    qmax = 2 ** (bits - 1) - 1
    assert q.dtype == torch.int8 and q.abs().max() <= qmax
    err = (distill.dequantize(q, scale) - w).abs()
    assert (err <= scale / 2 + 1e-6).all()
    if axis is None:
        assert scale.shape == ()
        assert scale.item() == pytest.approx(w.abs().max().item() / qmax)
    else:
        assert scale.shape[axis] == w.shape[axis] and scale.numel() == w.shape[axis]


def test_per_channel_error_is_smaller_on_rows_of_different_scales():
    w = torch.randn(16, 32, generator=torch.Generator().manual_seed(7)) * torch.logspace(-3, 0, 16)[:, None]
    e_tensor = (distill.dequantize(*distill.quantize_symmetric(w)) - w).pow(2).mean()
    e_channel = (distill.dequantize(*distill.quantize_symmetric(w, axis=0)) - w).pow(2).mean()
    assert e_channel < e_tensor / 2


def test_quant_linear_matches_dequantised_weights_and_stores_int8():
    torch.manual_seed(1)
    lin = nn.Linear(7, 4)
    ql = distill.QuantLinear(lin, per_channel=True)
    x = torch.randn(3, 7)
    q, scale = distill.quantize_symmetric(lin.weight, 8, 0)
    torch.testing.assert_close(ql(x), F.linear(x, q.float() * scale, lin.bias))
    assert ql.q.dtype == torch.int8
    assert distill.state_bytes(ql) == 7 * 4 * 1 + 4 * 4 + 4 * 4  # int8 codes, 4 float scales, 4 float biases


def test_quantize_errors():
    with pytest.raises(ValueError, match="bits"):
        distill.quantize_symmetric(torch.randn(3), bits=9)
    with pytest.raises(TypeError, match="float"):
        distill.quantize_symmetric(torch.ones(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="axis 2"):
        distill.quantize_symmetric(torch.randn(3, 3), axis=2)


def test_kmeans_share_uses_k_values_and_beats_uniform_levels():
    w = torch.randn(40, 30, generator=torch.Generator().manual_seed(8))
    cents, idx = distill.kmeans_share(w, 8)
    shared = cents[idx.long()]
    assert idx.dtype == torch.uint8 and idx.shape == w.shape
    assert len(shared.unique()) <= 8
    uniform = torch.linspace(w.min().item(), w.max().item(), 8)
    nearest = uniform[(w.flatten()[:, None] - uniform).abs().argmin(1)].view_as(w)
    assert (shared - w).pow(2).mean() < (nearest - w).pow(2).mean()
    with pytest.raises(ValueError, match="k must be"):
        distill.kmeans_share(w, 0)


@pytest.mark.parametrize("shape", [(6, 9), (9, 6)])
def test_low_rank_full_rank_equals_the_original(shape):
    torch.manual_seed(2)
    lin = nn.Linear(shape[1], shape[0])
    x = torch.randn(5, shape[1])
    full = distill.low_rank_linear(lin, min(shape))
    torch.testing.assert_close(full(x), lin(x), atol=1e-5, rtol=1e-5)


def test_low_rank_is_the_best_approximation():
    torch.manual_seed(3)
    lin = nn.Linear(12, 10)
    W = lin.weight.detach()
    S = torch.linalg.svdvals(W.double())
    for r in (1, 3, 7):
        layer = distill.low_rank_linear(lin, r)
        Wr = layer.second.weight @ layer.first.weight  # (out, r) @ (r, in)
        # Eckart-Young: the Frobenius error is the norm of the dropped singular values
        assert (Wr - W).norm().item() == pytest.approx(S[r:].norm().item(), rel=1e-4)
        assert sum(p.numel() for p in layer.parameters()) == r * (12 + 10) + 10


@pytest.mark.parametrize("rank", [0, 11, 2.5])
def test_low_rank_bad_rank_raises(rank):
    with pytest.raises(ValueError, match=r"rank must be an int in 1\.\.10 for a \(10, 12\) weight"):
        distill.low_rank_linear(nn.Linear(12, 10), rank)


def test_state_bytes_counts_stored_tensors_once():
    lin = nn.Linear(5, 3)
    assert distill.state_bytes(lin) == (15 + 3) * 4
    tied = nn.Sequential(lin, lin)
    assert distill.state_bytes(tied) == (15 + 3) * 4
    assert distill.state_bytes({"a": torch.zeros(10, dtype=torch.int8), "b": torch.zeros(2, dtype=torch.float16)}) == 14


def test_measure_latency_returns_a_positive_time():
    t = distill.measure_latency(nn.Linear(4, 4), torch.randn(2, 4), repeats=3, warmup=1)
    assert isinstance(t, float) and t > 0
    with pytest.raises(ValueError, match="repeats"):
        distill.measure_latency(nn.Linear(4, 4), torch.randn(2, 4), repeats=0)


def test_tinybert_layer_map_is_the_papers_example():
    # TinyBERT-4 from BERT-base: student layer 1 learns from teacher layer 3, layer 2 from 6
    assert distill.tinybert_layer_map(4, 12) == [0, 3, 6, 9, 12, 13]
    assert distill.tinybert_layer_map(2, 4) == [0, 2, 4, 5]
    with pytest.raises(ValueError, match="multiple"):
        distill.tinybert_layer_map(5, 12)


def test_pkd_layer_maps_skip_and_last():
    # BERT-6 from BERT-12 (Sun et al.): skip {2, 4, 6, 8, 10}, last {7, 8, 9, 10, 11}
    assert distill.pkd_layer_map(6, 12, "skip") == [2, 4, 6, 8, 10]
    assert distill.pkd_layer_map(6, 12, "last") == [7, 8, 9, 10, 11]
    with pytest.raises(ValueError, match="scheme"):
        distill.pkd_layer_map(6, 12, "first")


def test_pkd_loss_is_the_distance_of_normalised_vectors():
    g = torch.Generator().manual_seed(9)
    s, t = torch.randn(5, 8, generator=g), torch.randn(5, 8, generator=g)
    expected = ((s / s.norm(dim=1, keepdim=True) - t / t.norm(dim=1, keepdim=True)) ** 2).sum(1).mean()
    torch.testing.assert_close(distill.pkd_loss(s, t), expected)
    torch.testing.assert_close(distill.pkd_loss(3 * t, t), torch.tensor(0.0), atol=1e-6, rtol=0)  # scale-free
    with pytest.raises(ValueError, match=r"\(5, 8\) and \(5, 7\)"):
        distill.pkd_loss(s, t[:, :7])


def _mlp(*widths):
    layers = []
    for a, b in zip(widths, widths[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


def test_prune_hidden_units_keeping_all_is_the_same_function():
    torch.manual_seed(0)
    model, x = _mlp(6, 9, 7, 3), torch.randn(5, 6)
    pruned = distill.prune_hidden_units(model, [9, 7])
    torch.testing.assert_close(pruned(x), model(x))
    assert pruned is not model and model[0].out_features == 9


def test_prune_hidden_units_equals_masking_the_dropped_units():
    torch.manual_seed(1)
    model, x = _mlp(6, 9, 7, 3), torch.randn(5, 6)
    pruned = distill.prune_hidden_units(model, 4)
    assert [m.out_features for m in pruned if isinstance(m, nn.Linear)] == [4, 4, 3]
    # the same function as the full model with the dropped units' rows zeroed (weight and bias)
    masked = _mlp(6, 9, 7, 3)
    masked.load_state_dict(model.state_dict())
    with torch.no_grad():
        for i in (0, 2):
            w = masked[i].weight
            drop = torch.sort(w.abs().sum(1), descending=True).indices[4:]  # (out - 4,)
            w[drop] = 0
            masked[i].bias[drop] = 0
    torch.testing.assert_close(pruned(x), masked(x))
    assert distill.linear_macs(pruned) == 6 * 4 + 4 * 4 + 4 * 3
    assert distill.linear_macs(model) == 6 * 9 + 9 * 7 + 7 * 3
    quantised = nn.Sequential(*[distill.QuantLinear(m) if isinstance(m, nn.Linear) else m for m in model])
    assert distill.linear_macs(quantised) == distill.linear_macs(model)
    assert distill.linear_macs(distill.low_rank_linear(nn.Linear(9, 7), 2)) == 9 * 2 + 2 * 7


def test_prune_hidden_units_errors():
    model = _mlp(6, 9, 3)
    with pytest.raises(TypeError, match="nn.Sequential"):
        distill.prune_hidden_units(nn.Linear(3, 3), 2)
    with pytest.raises(ValueError, match="1..9"):
        distill.prune_hidden_units(model, 10)
    with pytest.raises(ValueError, match="one per hidden layer"):
        distill.prune_hidden_units(model, [2, 2])
    with pytest.raises(ValueError, match="at least two"):
        distill.prune_hidden_units(nn.Sequential(nn.Linear(3, 3)), 2)
    with pytest.raises(ValueError, match="parameters"):
        distill.prune_hidden_units(nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2)), 2)
