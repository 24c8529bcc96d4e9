"""LoRA: low-rank adaptation of frozen linear layers (Hu et al., 2021, "LoRA: Low-Rank Adaptation
of Large Language Models", arXiv:2106.09685), and QLoRA's idea (Dettmers et al., 2023): the frozen
base stored quantised, LoRA on top in float.

A frozen weight ``W0 (out, in)`` gets a trainable update of rank ``r``:
``h = W0 x + (alpha / r) B A x`` with ``A (r, in)`` Kaiming-initialised and ``B (out, r)`` zero, so
training starts exactly at the base model. ``merge()`` folds ``(alpha / r) B A`` into ``W0``: a plain
``nn.Linear`` with the same output and no extra inference cost. The layout follows microsoft/LoRA's
``loralib`` (``lora_A``/``lora_B`` there, ``A``/``B`` here) and Hugging Face ``peft``'s ``LoraConfig``
(``r``, ``lora_alpha``, ``target_modules``, ``lora_dropout``).
"""

from __future__ import annotations

import math
from typing import Iterable

import torch
from torch import nn

from ..distill.compress import QuantLinear, dequantize

__all__ = ["LoRALinear", "apply_lora", "count_trainable", "match_modules", "merge_lora", "quantize_linears",
           "replace_module"]


def _check_rank(r: object) -> int:
    if not isinstance(r, int) or isinstance(r, bool) or r <= 0:
        raise ValueError(f"the rank r must be a positive int, got {r!r}")
    return r


def _base_weight(base: nn.Module) -> torch.Tensor:
    """The (dequantised) weight ``(out, in)`` of an ``nn.Linear`` or a :class:`~dlbook.distill.QuantLinear`."""
    if isinstance(base, nn.Linear):
        return base.weight
    if isinstance(base, QuantLinear):
        return dequantize(base.q, base.scale)
    raise TypeError(f"expected an nn.Linear (or a dlbook.distill.QuantLinear), got {type(base).__name__}")


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update (Hu et al., 2021, eq. 3).

    ``forward(x (..., in)) -> (..., out)`` = ``base(x) + scaling * dropout(x) A^T B^T``.

    Args:
        base: the layer to adapt, ``nn.Linear(in, out)``; its parameters are frozen
            (``requires_grad=False``). A :class:`~dlbook.distill.QuantLinear` (a quantised, frozen
            base, QLoRA's idea) is accepted too.
        r: the rank, ``r >= 1``.
        alpha: the scaling numerator; ``scaling = alpha / r`` (default ``alpha = r``, scaling 1).
            Keeping ``alpha`` fixed while changing ``r`` keeps the update's size roughly unchanged,
            so the learning rate need not be re-tuned (the paper, section 4.1).
        dropout: dropout on the input of the low-rank branch only (``lora_dropout`` in ``peft``).

    Attributes:
        A: ``(r, in)``, Kaiming-uniform at init (as ``nn.Linear`` and ``loralib``).
        B: ``(out, r)``, zeros at init: the update ``B A`` is zero and the output equals ``base``.
        scaling: ``alpha / r``.
    """

    def __init__(self, base: nn.Module, r: int, alpha: float | None = None, dropout: float = 0.0):
        super().__init__()
        weight = _base_weight(base)
        self.r = _check_rank(r)
        if alpha is not None and (not isinstance(alpha, (int, float)) or alpha <= 0):
            raise ValueError(f"alpha must be a positive number or None, got {alpha!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        self.out_features, self.in_features = weight.shape
        self.base = base
        base.requires_grad_(False)
        self.alpha = float(r if alpha is None else alpha)
        self.scaling = self.alpha / r
        self.A = nn.Parameter(torch.empty(r, self.in_features, device=weight.device))
        self.B = nn.Parameter(torch.zeros(self.out_features, r, device=weight.device))
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))             # loralib's (and nn.Linear's) init
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def delta_weight(self) -> torch.Tensor:
        """The update ``scaling * B A``, ``(out, in)``."""
        return self.scaling * (self.B @ self.A)                      # (out, r) @ (r, in) -> (out, in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(f"LoRALinear expects inputs (..., {self.in_features}), got {tuple(x.shape)}")
        low = self.dropout(x) @ self.A.T                             # (..., in) @ (in, r) -> (..., r)
        return self.base(x) + self.scaling * (low @ self.B.T)        # (..., r) @ (r, out) -> (..., out)

    @torch.no_grad()
    def merge(self) -> nn.Linear:
        """A plain ``nn.Linear`` with weight ``W0 + scaling * B A`` (and the base's bias): the same
        output, and inference costs what the base did."""
        w = _base_weight(self.base).float() + self.delta_weight()
        bias = self.base.bias
        layer = nn.Linear(self.in_features, self.out_features, bias=bias is not None, device=w.device)
        layer.weight.copy_(w)
        if bias is not None:
            layer.bias.copy_(bias)
        return layer

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, r={self.r}, alpha={self.alpha:g}"


def match_modules(model: nn.Module, target_modules: str | Iterable[str]) -> list[str]:
    """Names of the submodules of ``model`` that ``target_modules`` select, as ``peft`` matches them:
    a name matches a target when it equals it or ends with ``"." + target``
    (``"q"`` matches ``"bert.layers.0.self_attn.q"``).

    Raises:
        ValueError: when a target matches nothing (the message lists the Linear layers there are).
    """
    targets = [target_modules] if isinstance(target_modules, str) else list(target_modules)
    if not targets:
        raise ValueError("target_modules is empty")
    names = [n for n, _ in model.named_modules() if n]
    found: list[str] = []
    for t in targets:
        hits = [n for n in names if n == t or n.endswith("." + t)]
        if not hits:
            linears = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, nn.Linear)})
            raise ValueError(f"target module {t!r} matches no submodule of {type(model).__name__}; "
                             f"its Linear layers are named {linears}")
        found += [n for n in hits if n not in found]
    return found


def replace_module(model: nn.Module, name: str, new: nn.Module) -> None:
    """Put ``new`` where the submodule called ``name`` (dotted) was."""
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, child, new)


def apply_lora(model: nn.Module, target_modules: str | Iterable[str], r: int, alpha: float | None = None,
               dropout: float = 0.0, freeze: bool = True) -> list[str]:
    """Wrap every selected ``nn.Linear`` of ``model`` in a :class:`LoRALinear`, in place.

    Args:
        model: e.g. a mini BERT whose attention was split by :func:`dlbook.peft.split_qkv`
            (so ``"q"`` and ``"v"`` are Linear layers).
        target_modules: module names or name suffixes, as ``peft``'s ``target_modules``.
        r, alpha, dropout: as in :class:`LoRALinear`.
        freeze: freeze every other parameter of ``model`` first (LoRA trains only A and B; unfreeze
            a task head afterwards).

    Returns:
        The names of the wrapped layers.

    Raises:
        ValueError: ``r <= 0``, or a target that matches nothing.
        TypeError: a target that is not an ``nn.Linear`` (or a quantised one).
    """
    _check_rank(r)
    names = match_modules(model, target_modules)
    for n in names:
        m = model.get_submodule(n)
        if not isinstance(m, (nn.Linear, QuantLinear)):
            raise TypeError(f"apply_lora: {n!r} is a {type(m).__name__}, expected an nn.Linear")
    if freeze:
        model.requires_grad_(False)
    for n in names:
        replace_module(model, n, LoRALinear(model.get_submodule(n), r, alpha, dropout))
    return names


def merge_lora(model: nn.Module) -> int:
    """Replace every :class:`LoRALinear` in ``model`` by its merged ``nn.Linear`` (in place, like
    ``peft``'s ``merge_and_unload``). Returns how many were merged."""
    names = [n for n, m in model.named_modules() if isinstance(m, LoRALinear)]
    for n in names:
        merged = model.get_submodule(n).merge()
        merged.requires_grad_(False)
        replace_module(model, n, merged)
    return len(names)


def quantize_linears(model: nn.Module, bits: int = 4, skip: Iterable[str] = ()) -> list[str]:
    """Replace the ``nn.Linear`` layers of ``model`` (except names ending in one of ``skip``) by
    :class:`~dlbook.distill.QuantLinear` (symmetric, per output channel, ``bits`` bits): the frozen,
    quantised base of QLoRA's idea (Dettmers et al., 2023, who use a 4-bit NormalFloat code and
    double quantisation; chapter 7's symmetric integer code is used here). Returns the names."""
    skip = tuple(skip)
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Linear) and not any(
        n == s or n.endswith("." + s) for s in skip)]
    for n in names:
        replace_module(model, n, QuantLinear(model.get_submodule(n), bits=bits))
    return names


def count_trainable(model: nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` parameter counts of ``model`` (each shared tensor counted once;
    quantised buffers are not parameters and are not counted)."""
    seen: set[int] = set()
    trainable = total = 0
    for p in model.parameters():
        if id(p) in seen:
            continue
        seen.add(id(p))
        total += p.numel()
        trainable += p.numel() if p.requires_grad else 0
    return trainable, total
