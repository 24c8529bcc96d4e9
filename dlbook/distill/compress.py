"""Compression by hand: magnitude pruning, symmetric int8 quantisation, k-means weight sharing,
low-rank (SVD) linear layers, and size/latency measurement.

References:
    Han, Mao and Dally, "Deep Compression: Compressing Deep Neural Networks with Pruning, Trained
    Quantization and Huffman Coding" (ICLR 2016) -- pruning and k-means weight sharing.
    Jacob et al., "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only
    Inference" (CVPR 2018) -- (symmetric) affine quantisation.
    Li et al., "Pruning Filters for Efficient ConvNets" (ICLR 2017) -- structured pruning: whole units
    (filters) ranked by the L1 norm of their incoming weights, leaving a smaller dense network.
"""

from __future__ import annotations

import copy
import time
from typing import Iterable, Mapping

import torch
from torch import nn

__all__ = [
    "magnitude_mask",
    "prune_linear_layers",
    "prune_hidden_units",
    "linear_macs",
    "sparsity",
    "quantize_symmetric",
    "dequantize",
    "QuantLinear",
    "kmeans_share",
    "LowRankLinear",
    "low_rank_linear",
    "tensor_bytes",
    "state_bytes",
    "measure_latency",
]


def _check_sparsity(s: float) -> float:
    if isinstance(s, bool) or not isinstance(s, (int, float)):
        raise TypeError(f"sparsity must be a number, got {type(s).__name__}")
    if not 0.0 <= s < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {s}")
    return float(s)


def magnitude_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Boolean mask keeping the largest-magnitude entries, zeroing exactly ``round(sparsity * n)``.

    Ties are broken by position (a stable sort), so the count is exact.

    Args:
        weight: any shape, ``n`` entries.
        sparsity: fraction of entries to remove, in [0, 1).

    Returns:
        ``torch.bool`` mask of ``weight``'s shape; True = kept.
    """
    sparsity = _check_sparsity(sparsity)
    n_prune = int(round(sparsity * weight.numel()))
    flat = weight.detach().abs().flatten()  # (n,)
    order = torch.sort(flat, stable=True).indices  # smallest magnitudes first
    mask = torch.ones_like(flat, dtype=torch.bool)
    mask[order[:n_prune]] = False
    return mask.view_as(weight)  # back to weight's shape


def prune_linear_layers(model: nn.Module, sparsity: float, scope: str = "layer") -> dict[str, torch.Tensor]:
    """Magnitude pruning of every ``nn.Linear`` weight (biases are kept), in place.

    Args:
        model: the network; its Linear weights are multiplied by their masks.
        sparsity: fraction of the weights to remove, in [0, 1).
        scope: ``"layer"`` removes that fraction from each layer; ``"global"`` ranks all Linear
            weights together (Han et al. 2015 prune by a per-layer threshold; global ranking removes
            more from the large, redundant layers).

    Returns:
        ``{parameter name: mask}``; reapply with ``w.mul_(mask)`` after each fine-tuning step.
    """
    sparsity = _check_sparsity(sparsity)
    if scope not in ("layer", "global"):
        raise ValueError(f"scope must be 'layer' or 'global', got {scope!r}")
    layers = {f"{name}.weight" if name else "weight": m.weight for name, m in model.named_modules() if isinstance(m, nn.Linear)}
    if not layers:
        raise ValueError("the model has no nn.Linear layer to prune")
    if scope == "layer":
        masks = {k: magnitude_mask(w, sparsity) for k, w in layers.items()}
    else:
        flat = torch.cat([w.detach().flatten() for w in layers.values()])  # (n_total,)
        all_mask = magnitude_mask(flat, sparsity)
        masks, at = {}, 0
        for k, w in layers.items():
            masks[k] = all_mask[at : at + w.numel()].view_as(w)  # (out, in)
            at += w.numel()
    with torch.no_grad():
        for k, w in layers.items():
            w.mul_(masks[k])
    return masks


def prune_hidden_units(model: nn.Sequential, keep: int | Iterable[int]) -> nn.Sequential:
    """Structured pruning of an MLP: keep the ``keep`` hidden units of largest L1 incoming weight norm.

    Unlike :func:`prune_linear_layers`, which zeroes single weights and leaves the shapes alone, this
    removes whole units: the rows of a hidden ``nn.Linear`` (weight and bias) and the matching
    columns of the next ``nn.Linear``. The result is a smaller *dense* network whose forward pass
    does fewer multiply-adds with the same kernels (Li et al. 2017 rank convolution filters the same
    way). The input and output widths are unchanged; layers without parameters (activations,
    dropout) are copied as they are.

    Args:
        model: ``nn.Sequential`` whose ``nn.Linear`` layers are chained (each one's ``out_features``
            is the next one's ``in_features``), e.g. ``Linear(64, 256), ReLU(), Linear(256, 10)``.
        keep: units to keep in every hidden layer (an int), or one int per hidden layer.

    Returns:
        A new ``nn.Sequential`` (the model itself is not changed); kept units stay in their order.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"expected an nn.Sequential, got {type(model).__name__}")
    linear = [i for i, m in enumerate(model) if isinstance(m, nn.Linear)]
    if len(linear) < 2:
        raise ValueError(f"need at least two nn.Linear layers (one hidden layer), got {len(linear)}")
    for a, b in zip(linear, linear[1:]):
        if any(p.numel() for m in list(model)[a + 1 : b] for p in m.parameters()):
            raise ValueError(f"layers between Linear {a} and Linear {b} have parameters; only activations may sit between")
        if model[a].out_features != model[b].in_features:
            raise ValueError(f"Linear {a} has {model[a].out_features} outputs but Linear {b} has {model[b].in_features} inputs")
    hidden = linear[:-1]
    counts = [keep] * len(hidden) if isinstance(keep, int) and not isinstance(keep, bool) else list(keep)
    if len(counts) != len(hidden) or any(isinstance(k, bool) or not isinstance(k, int) for k in counts):
        raise ValueError(f"keep must be an int or {len(hidden)} ints (one per hidden layer), got {keep!r}")
    for i, k in zip(hidden, counts):
        if not 1 <= k <= model[i].out_features:
            raise ValueError(f"keep must be in 1..{model[i].out_features} for Linear {i}, got {k}")
    layers = [copy.deepcopy(m) for m in model]
    with torch.no_grad():
        for i, nxt, k in zip(hidden, linear[1:], counts):
            w = model[i].weight.detach()  # (out, in)
            order = torch.sort(w.abs().sum(1), descending=True, stable=True).indices  # (out,) largest L1 first
            units = torch.sort(order[:k]).values  # (k,) kept units, in their original order
            layers[i] = _linear_from(layers[i].weight[units], None if layers[i].bias is None else layers[i].bias[units])
            # the next layer's input must lose the same units (its rows were maybe sliced already)
            layers[nxt] = _linear_from(layers[nxt].weight[:, units], layers[nxt].bias)
    return nn.Sequential(*layers)


def _linear_from(weight: torch.Tensor, bias: torch.Tensor | None) -> nn.Linear:
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None, device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)  # (out, in)
        if bias is not None:
            layer.bias.copy_(bias)
    return layer


def linear_macs(model: nn.Module) -> int:
    """Multiply-adds of one input row through every ``nn.Linear`` and :class:`QuantLinear` of ``model``.

    Each layer counts ``in * out``: what the dense kernels compute (a pruned but dense-stored weight
    still costs its full ``in * out``, and a :class:`QuantLinear` multiplies by its dequantised
    weight); layers the model holds but does not call are counted too.
    """
    return sum(
        m.in_features * m.out_features if isinstance(m, nn.Linear) else m.q.numel()
        for m in model.modules()
        if isinstance(m, (nn.Linear, QuantLinear))
    )


def sparsity(tensors: Iterable[torch.Tensor]) -> float:
    """Fraction of exact zeros among all entries of ``tensors``."""
    zeros = total = 0
    for t in tensors:
        zeros += int((t == 0).sum())
        total += t.numel()
    if total == 0:
        raise ValueError("no entries to count")
    return zeros / total


def quantize_symmetric(
    weight: torch.Tensor, bits: int = 8, axis: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric linear quantisation: ``q = clamp(round(w / s), -(2^(b-1) - 1), 2^(b-1) - 1)``.

    The scale is ``s = max|w| / (2^(b-1) - 1)`` over the whole tensor (per-tensor, ``axis=None``) or
    over each slice along ``axis`` (per-channel, e.g. ``axis=0``: one scale per output row of a Linear
    weight). Round-trip error: ``|w - s q| <= s / 2`` entrywise.

    Args:
        weight: float tensor.
        bits: 2..8; the codes are stored as int8.
        axis: ``None`` for one scale, or the channel dimension.

    Returns:
        ``(q, scale)``: int8 codes of ``weight``'s shape, and float32 scales of shape ``()`` or with
        size 1 in every dimension except ``axis`` (so ``q * scale`` broadcasts).
    """
    if not isinstance(bits, int) or not 2 <= bits <= 8:
        raise ValueError(f"bits must be an int in 2..8 (stored as int8), got {bits!r}")
    if not weight.is_floating_point():
        raise TypeError(f"weight must be a float tensor, got {weight.dtype}")
    qmax = 2 ** (bits - 1) - 1
    w = weight.detach().float()
    if axis is None:
        amax = w.abs().max()
    else:
        if not -w.dim() <= axis < w.dim():
            raise ValueError(f"axis {axis} is out of range for a weight of shape {tuple(w.shape)}")
        dims = [d for d in range(w.dim()) if d != axis % w.dim()]
        amax = w.abs().amax(dim=dims, keepdim=True)  # (out, 1) for axis=0 of an (out, in) weight
    scale = torch.where(amax > 0, amax / qmax, torch.ones_like(amax))  # an all-zero channel keeps scale 1
    q = torch.clamp(torch.round(w / scale), -qmax, qmax).to(torch.int8)
    return q, scale


def dequantize(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``q * scale`` as float32 (the inverse of :func:`quantize_symmetric` up to rounding)."""
    return q.float() * scale


class QuantLinear(nn.Module):
    """A Linear layer that stores int8 weight codes and float scales, and dequantises on the fly.

    Weight-only quantisation: storage shrinks about 4x; the matmul still runs in float32.

    Args:
        layer: the ``nn.Linear`` to quantise.
        bits: as in :func:`quantize_symmetric`.
        per_channel: one scale per output row (``axis=0``) instead of one per tensor.
    """

    def __init__(self, layer: nn.Linear, bits: int = 8, per_channel: bool = True):
        super().__init__()
        if not isinstance(layer, nn.Linear):
            raise TypeError(f"expected an nn.Linear, got {type(layer).__name__}")
        q, scale = quantize_symmetric(layer.weight, bits, 0 if per_channel else None)
        self.register_buffer("q", q)  # (out, in) int8
        self.register_buffer("scale", scale)  # (out, 1) or ()
        self.register_buffer("bias", None if layer.bias is None else layer.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, dequantize(self.q, self.scale), self.bias)  # (B, out)


def kmeans_share(weight: torch.Tensor, k: int, iters: int = 30) -> tuple[torch.Tensor, torch.Tensor]:
    """Weight sharing by 1-D k-means (Han et al. 2016): each weight is replaced by one of ``k`` centroids.

    Centroids start linearly spaced between the min and max weight (the initialisation Han et al.
    found best); Lloyd's iterations then move them.

    Args:
        weight: float tensor with at least ``k`` entries.
        k: number of shared values (``k <= 256`` so the indices fit in uint8).
        iters: Lloyd iterations.

    Returns:
        ``(centroids (k,), indices)`` with ``indices`` uint8 of ``weight``'s shape;
        ``centroids[indices.long()]`` is the shared weight.
    """
    if not isinstance(k, int) or not 1 <= k <= 256:
        raise ValueError(f"k must be an int in 1..256, got {k!r}")
    w = weight.detach().float().flatten()  # (n,)
    if w.numel() < k:
        raise ValueError(f"k = {k} centroids need at least {k} weights, got {w.numel()}")
    centroids = torch.linspace(w.min().item(), w.max().item(), k)  # (k,)
    for _ in range(iters):
        assign = (w[:, None] - centroids[None, :]).abs().argmin(1)  # (n,)
        sums = torch.zeros(k).index_add_(0, assign, w)
        counts = torch.zeros(k).index_add_(0, assign, torch.ones_like(w))
        centroids = torch.where(counts > 0, sums / counts.clamp(min=1), centroids)
    assign = (w[:, None] - centroids[None, :]).abs().argmin(1)  # (n,)
    return centroids, assign.to(torch.uint8).view_as(weight)


class LowRankLinear(nn.Module):
    """``x -> x V^T U^T + b``: a Linear of rank ``r`` stored as two thin factors.

    Parameters ``r (in + out) + out`` instead of ``in * out + out``; smaller when
    ``r < in * out / (in + out)``.

    Args:
        first: ``(r, in)`` factor; second: ``(out, r)`` factor; bias: ``(out,)`` or None.
    """

    def __init__(self, first: torch.Tensor, second: torch.Tensor, bias: torch.Tensor | None):
        super().__init__()
        if first.dim() != 2 or second.dim() != 2 or second.shape[1] != first.shape[0]:
            raise ValueError(f"factors must be (r, in) and (out, r), got {tuple(first.shape)} and {tuple(second.shape)}")
        self.first = nn.Linear(first.shape[1], first.shape[0], bias=False)
        self.second = nn.Linear(second.shape[1], second.shape[0], bias=bias is not None)
        with torch.no_grad():
            self.first.weight.copy_(first)
            self.second.weight.copy_(second)
            if bias is not None:
                self.second.bias.copy_(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.second(self.first(x))  # (B, in) -> (B, r) -> (B, out)


def low_rank_linear(layer: nn.Linear, rank: int) -> LowRankLinear:
    """The best rank-``r`` approximation of a Linear weight (truncated SVD, Eckart-Young).

    ``W = U S V^T``; keep the top ``r`` singular values: ``first = sqrt(S_r) V_r^T`` ``(r, in)``,
    ``second = U_r sqrt(S_r)`` ``(out, r)``. At ``r = min(out, in)`` the layer equals the original
    up to float rounding.

    Raises:
        ValueError: if ``rank`` is not in ``1..min(out, in)``.
    """
    if not isinstance(layer, nn.Linear):
        raise TypeError(f"expected an nn.Linear, got {type(layer).__name__}")
    out_f, in_f = layer.weight.shape
    if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= min(out_f, in_f):
        raise ValueError(f"rank must be an int in 1..{min(out_f, in_f)} for a ({out_f}, {in_f}) weight, got {rank!r}")
    W = layer.weight.detach().double()  # SVD in float64, then back to float32
    U, S, Vh = torch.linalg.svd(W, full_matrices=False)  # (out, k), (k,), (k, in)
    root = S[:rank].sqrt()  # (r,)
    first = (root[:, None] * Vh[:rank]).float()  # (r, in)
    second = (U[:, :rank] * root[None, :]).float()  # (out, r)
    bias = None if layer.bias is None else layer.bias.detach().clone()
    return LowRankLinear(first, second, bias)


def tensor_bytes(t: torch.Tensor) -> int:
    """Bytes a tensor's entries take: ``numel * element_size``."""
    return t.numel() * t.element_size()


def state_bytes(model_or_state: nn.Module | Mapping[str, torch.Tensor]) -> int:
    """Bytes of every stored tensor (parameters and buffers) of a model or state dict.

    Counts what ``torch.save(model.state_dict())`` would store, without file overhead; a tensor
    shared under two names is counted once.
    """
    state = model_or_state.state_dict() if isinstance(model_or_state, nn.Module) else model_or_state
    seen, total = set(), 0
    for t in state.values():
        if t is None:
            continue
        key = (t.untyped_storage().data_ptr(), t.storage_offset(), tuple(t.shape))
        if key not in seen:
            seen.add(key)
            total += tensor_bytes(t)
    return total


@torch.no_grad()
def measure_latency(model: nn.Module, x: torch.Tensor, repeats: int = 50, warmup: int = 5) -> float:
    """Median wall-clock seconds of one ``model(x)`` call (inference mode, after warm-up).

    A timing: it depends on the machine and its load. Compare models measured side by side in
    one run, and store ratios, not raw values.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    model.eval()
    for _ in range(warmup):
        model(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]
