"""Knowledge distillation and compression (chapter 7).

``losses``: softmax with temperature, Hinton's KD loss with its T^2 factor, a :class:`Distiller` that
``dlbook.fit`` can train, FitNets' :class:`HintRegressor`, TinyBERT's layer mapping and Patient KD's layer choice and loss. ``compress``: magnitude pruning, structured pruning of whole hidden units, symmetric
int8 quantisation (per tensor and per channel), k-means weight sharing, SVD low-rank Linear layers,
and the size in bytes and latency of a model.
"""

from __future__ import annotations

from .compress import (
    LowRankLinear,
    QuantLinear,
    dequantize,
    kmeans_share,
    linear_macs,
    low_rank_linear,
    magnitude_mask,
    measure_latency,
    prune_hidden_units,
    prune_linear_layers,
    quantize_symmetric,
    sparsity,
    state_bytes,
    tensor_bytes,
)
from .losses import Distiller, HintRegressor, kd_loss, pkd_layer_map, pkd_loss, softmax_t, tinybert_layer_map

__all__ = [
    "Distiller",
    "HintRegressor",
    "LowRankLinear",
    "QuantLinear",
    "dequantize",
    "kd_loss",
    "kmeans_share",
    "linear_macs",
    "low_rank_linear",
    "magnitude_mask",
    "measure_latency",
    "pkd_layer_map",
    "pkd_loss",
    "prune_hidden_units",
    "prune_linear_layers",
    "quantize_symmetric",
    "softmax_t",
    "sparsity",
    "state_bytes",
    "tensor_bytes",
    "tinybert_layer_map",
]
