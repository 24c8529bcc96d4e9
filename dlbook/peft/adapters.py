"""Adapters (Houlsby et al., 2019, "Parameter-Efficient Transfer Learning for NLP", ICML) and
BitFit (Ben Zaken et al., 2022, "BitFit: Simple Parameter-efficient Fine-tuning for
Transformer-based Masked Language-models", ACL).

An adapter is a bottleneck with a skip connection, ``x + W_up f(W_down x)``, inserted after the
attention's output projection and after the feed-forward network of every layer, before the
residual sum and LayerNorm (the paper's figure 2). Only the adapters, the LayerNorms and the task
head are trained. BitFit trains the bias terms only.
"""

from __future__ import annotations

from typing import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from ..llm.model import RMSNorm
from .lora import match_modules, replace_module

__all__ = ["Adapter", "AdaptedLinear", "apply_adapters", "apply_bitfit"]

_NORMS = (nn.LayerNorm, RMSNorm, nn.RMSNorm)  # ours (chapter 10) and torch's (torch >= 2.4, the minimum)


class Adapter(nn.Module):
    """Houlsby's bottleneck adapter: ``x + up(gelu(down(x)))``, ``(..., d) -> (..., d)``.

    Args:
        dim: ``d``, the width of the layer it follows.
        bottleneck: ``m`` (``m << d``); the adapter has ``2 m d + m + d`` parameters.
        init_std: the std of the (truncated) normal init of both projections, biases zero. The
            paper initialises "to a near-identity function" (std 1e-2 in its section 3.6); with
            ``init_std=0`` the up-projection starts at zero and the adapter is exactly the identity.
    """

    def __init__(self, dim: int, bottleneck: int, init_std: float = 1e-2):
        super().__init__()
        if not isinstance(bottleneck, int) or bottleneck <= 0:
            raise ValueError(f"bottleneck must be a positive int, got {bottleneck!r}")
        if init_std < 0:
            raise ValueError(f"init_std must be >= 0, got {init_std}")
        self.down, self.up = nn.Linear(dim, bottleneck), nn.Linear(bottleneck, dim)
        for layer in (self.down, self.up):
            nn.init.zeros_(layer.bias)
        std_down = init_std if init_std > 0 else 1e-2               # the down-projection is never zero (else no gradient)
        nn.init.trunc_normal_(self.down.weight, std=std_down, a=-2 * std_down, b=2 * std_down)
        if init_std > 0:
            nn.init.trunc_normal_(self.up.weight, std=init_std, a=-2 * init_std, b=2 * init_std)
        else:
            nn.init.zeros_(self.up.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.up(F.gelu(self.down(x)))                     # (..., d) -> (..., m) -> (..., d)


class AdaptedLinear(nn.Module):
    """A (frozen) layer followed by an :class:`Adapter`: ``adapter(base(x))``, ``(..., in) -> (..., out)``."""

    def __init__(self, base: nn.Linear, bottleneck: int, init_std: float = 1e-2):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"expected an nn.Linear, got {type(base).__name__}")
        self.base = base
        base.requires_grad_(False)
        self.adapter = Adapter(base.out_features, bottleneck, init_std).to(base.weight.device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.adapter(self.base(x))


def apply_adapters(model: nn.Module, target_modules: str | Iterable[str] = ("out_proj", "linear2"),
                   bottleneck: int = 8, init_std: float = 1e-2, train_layernorm: bool = True) -> list[str]:
    """Freeze ``model`` and put an :class:`Adapter` after each selected Linear layer (default: the
    attention's output projection and the FFN's second layer, Houlsby's two places, as chapter 5's
    modules name them; for a :class:`dlbook.llm.Llama` pass ``("o_proj", "down_proj")``). With
    ``train_layernorm`` the LayerNorms (and a LLaMA's RMSNorms) train too, as in the paper. Returns
    the adapted names."""
    names = match_modules(model, target_modules)
    for n in names:
        if not isinstance(model.get_submodule(n), nn.Linear):
            raise TypeError(f"apply_adapters: {n!r} is a {type(model.get_submodule(n)).__name__}, expected an nn.Linear")
    model.requires_grad_(False)
    for n in names:
        replace_module(model, n, AdaptedLinear(model.get_submodule(n), bottleneck, init_std))
    if train_layernorm:
        for m in model.modules():
            if isinstance(m, _NORMS):
                m.requires_grad_(True)
    return names


def apply_bitfit(model: nn.Module) -> list[str]:
    """Freeze every parameter of ``model`` except the biases (names ending in ``bias``, e.g.
    ``in_proj_bias``). Returns the names of the trainable ones.

    Raises:
        ValueError: when the model has no bias at all (BitFit has nothing to train)."""
    names = []
    for n, p in model.named_parameters():
        p.requires_grad_(n.endswith("bias"))
        if p.requires_grad:
            names.append(n)
    if not names:
        raise ValueError(f"{type(model).__name__} has no bias parameters: BitFit has nothing to train "
                         f"(a LLaMA-style model, e.g. dlbook.llm.Llama, has no biases at all)")
    return names
