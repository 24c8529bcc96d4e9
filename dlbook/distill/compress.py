"""Compression by hand: magnitude pruning, symmetric int8 quantisation, k-means weight sharing,
low-rank (SVD) linear layers, and size/latency measurement.

References:
    Han, Mao and Dally, "Deep Compression: Compressing Deep Neural Networks with Pruning, Trained
    Quantization and Huffman Coding" (ICLR 2016) -- pruning and k-means weight sharing.
    Jacob et al., "Quantization and Training of Neural Networks for Efficient Integer-Arithmetic-Only
    Inference" (CVPR 2018) -- (symmetric) affine quantisation.
"""

from __future__ import annotations

import time
from typing import Iterable, Mapping

import torch
from torch import nn

__all__ = [
    "magnitude_mask",
    "prune_linear_layers",
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
