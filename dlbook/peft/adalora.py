"""AdaLoRA (Zhang et al., 2023, "Adaptive Budget Allocation for Parameter-Efficient Fine-Tuning",
ICLR; arXiv:2303.10512), simplified but faithful to its three ideas:

1. each update is in SVD form, ``Delta W = P Lambda Q`` with ``P (out, r)``, ``Lambda = diag(lambda) (r,)``,
   ``Q (r, in)`` (:class:`SVDLinear`); ``lambda`` starts at zero so training starts at the base;
2. an orthogonality regulariser ``||P^T P - I||_F^2 + ||Q Q^T - I||_F^2`` keeps ``P``, ``Q`` close to
   singular vectors, so zeroing a ``lambda_i`` removes one rank cleanly
   (:func:`orthogonal_regularization`);
3. the total rank budget falls on a cubic schedule from ``b0`` to ``bT``; the triplets
   ``(P_{:,i}, lambda_i, Q_{i,:})`` with the smallest *importance* are pruned (``lambda_i = 0``), where
   importance is the smoothed sensitivity ``|theta * grad|`` times its uncertainty (eq. 8-11)
   (:class:`RankAllocator`). Layers that matter keep more rank.

Simplifications: pruning happens at every step after the warm-up (the paper's code every
``deltaT`` steps) and the schedule uses the paper's shape with the caller's step counts.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import nn

from .lora import _base_weight, _check_rank, match_modules, replace_module

__all__ = ["RankAllocator", "SVDLinear", "apply_adalora", "orthogonal_regularization", "rank_pattern"]


class SVDLinear(nn.Module):
    """``base(x) + scaling * ((x Q^T) * lambda) P^T``, ``(..., in) -> (..., out)``: a frozen layer plus an
    SVD-form update of rank at most ``r``.

    Args:
        base: the ``nn.Linear`` to adapt (frozen here).
        r: the initial rank (every layer starts with the same ``r``; the allocator prunes).
        alpha: ``scaling = alpha / r`` (default ``alpha = r``).

    Attributes:
        P: ``(out, r)``, Q: ``(r, in)``: ``N(0, 0.02^2)`` at init (the paper's code); lam: ``(r,)``, zeros.
    """

    def __init__(self, base: nn.Linear, r: int, alpha: float | None = None):
        super().__init__()
        weight = _base_weight(base)
        self.r = _check_rank(r)
        self.out_features, self.in_features = weight.shape
        self.base = base
        base.requires_grad_(False)
        self.scaling = float(r if alpha is None else alpha) / r
        self.P = nn.Parameter(0.02 * torch.randn(self.out_features, r, device=weight.device))
        self.lam = nn.Parameter(torch.zeros(r, device=weight.device))
        self.Q = nn.Parameter(0.02 * torch.randn(r, self.in_features, device=weight.device))

    @property
    def rank(self) -> int:
        """The rank in use: the number of non-zero ``lambda_i``."""
        return int((self.lam.detach() != 0).sum())

    def delta_weight(self) -> torch.Tensor:
        """``scaling * P diag(lambda) Q``, ``(out, in)``."""
        return self.scaling * (self.P * self.lam) @ self.Q           # (out, r) * (r,) @ (r, in) -> (out, in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        low = (x @ self.Q.T) * self.lam                              # (..., in) @ (in, r) -> (..., r)
        return self.base(x) + self.scaling * (low @ self.P.T)        # (..., r) @ (r, out) -> (..., out)

    def orthogonality(self) -> torch.Tensor:
        """``||P^T P - I||_F^2 + ||Q Q^T - I||_F^2`` (0-dim)."""
        eye = torch.eye(self.r, device=self.P.device)
        return ((self.P.T @ self.P - eye) ** 2).sum() + ((self.Q @ self.Q.T - eye) ** 2).sum()  # (r, r) each


def apply_adalora(model: nn.Module, target_modules: str | Iterable[str], r: int, alpha: float | None = None) -> list[str]:
    """Freeze ``model`` and wrap each selected ``nn.Linear`` in an :class:`SVDLinear` (in place).
    Returns the wrapped names; errors as :func:`dlbook.peft.apply_lora`."""
    _check_rank(r)
    names = match_modules(model, target_modules)
    for n in names:
        if not isinstance(model.get_submodule(n), nn.Linear):
            raise TypeError(f"apply_adalora: {n!r} is a {type(model.get_submodule(n)).__name__}, expected an nn.Linear")
    model.requires_grad_(False)
    for n in names:
        replace_module(model, n, SVDLinear(model.get_submodule(n), r, alpha))
    return names


def orthogonal_regularization(model: nn.Module) -> torch.Tensor:
    """The sum of :meth:`SVDLinear.orthogonality` over the model (AdaLoRA eq. 4's ``R(P, Q)``)."""
    terms = [m.orthogonality() for m in model.modules() if isinstance(m, SVDLinear)]
    if not terms:
        raise ValueError(f"{type(model).__name__} has no SVDLinear layers")
    return torch.stack(terms).sum()


def rank_pattern(model: nn.Module) -> dict[str, int]:
    """``{layer name: rank in use}`` for every :class:`SVDLinear`."""
    return {n: m.rank for n, m in model.named_modules() if isinstance(m, SVDLinear)}


class RankAllocator:
    """AdaLoRA's budget schedule and importance-based pruning.

    Call :meth:`step` after every optimizer step, while the gradients are still there: it duck-types
    as a per-batch scheduler, so ``dlbook.fit(..., scheduler=allocator, scheduler_interval="batch")``
    calls it at the right moment.

    Args:
        model: holds the :class:`SVDLinear` layers.
        target_rank: the final average rank per layer; the budget ``bT = target_rank * layers``.
        total_steps: ``T``, the optimizer steps of the run.
        warmup: ``t_i``, steps at the initial budget ``b0 = r * layers`` before pruning starts.
        final: ``t_f``, the last steps at ``bT`` (the ranks are then fixed).
        beta1, beta2: smoothing of the sensitivity and of its uncertainty (the paper: 0.85 each).

    The budget at step ``t`` (eq. 12): ``b0`` for ``t < t_i``, ``bT`` for ``t >= T - t_f``, else
    ``bT + (b0 - bT) (1 - (t - t_i) / (T - t_i - t_f))^3``.
    """

    def __init__(self, model: nn.Module, target_rank: float, total_steps: int, warmup: int = 0, final: int = 0,
                 beta1: float = 0.85, beta2: float = 0.85):
        self.layers = [m for m in model.modules() if isinstance(m, SVDLinear)]
        if not self.layers:
            raise ValueError(f"{type(model).__name__} has no SVDLinear layers (use apply_adalora first)")
        if warmup + final >= total_steps:
            raise ValueError(f"warmup + final ({warmup} + {final}) must be < total_steps ({total_steps})")
        self.b0 = sum(m.r for m in self.layers)
        self.bT = int(round(target_rank * len(self.layers)))
        if not 0 < self.bT <= self.b0:
            raise ValueError(f"the final budget {self.bT} must be in 1..{self.b0} (target_rank {target_rank})")
        self.total, self.warmup, self.final = total_steps, warmup, final
        self.beta1, self.beta2 = beta1, beta2
        self.t = 0
        self.ibar: dict[int, torch.Tensor] = {}
        self.ubar: dict[int, torch.Tensor] = {}
        self.budgets: list[int] = []

    def budget(self, t: int) -> int:
        """The total rank budget ``b(t)``."""
        if t < self.warmup:
            return self.b0
        if t >= self.total - self.final:
            return self.bT
        frac = (t - self.warmup) / (self.total - self.warmup - self.final)
        return int(self.bT + (self.b0 - self.bT) * (1 - frac) ** 3)

    @torch.no_grad()
    def _score(self, p: torch.Tensor) -> torch.Tensor:
        s = (p * p.grad).abs() if p.grad is not None else torch.zeros_like(p)  # sensitivity (eq. 8)
        key = id(p)
        if key not in self.ibar:
            self.ibar[key], self.ubar[key] = torch.zeros_like(p), torch.zeros_like(p)
        self.ibar[key].mul_(self.beta1).add_((1 - self.beta1) * s)                        # eq. 9
        self.ubar[key].mul_(self.beta2).add_((1 - self.beta2) * (s - self.ibar[key]).abs())  # eq. 10
        return self.ibar[key] * self.ubar[key]                                            # eq. 11

    @torch.no_grad()
    def triplet_scores(self) -> list[torch.Tensor]:
        """Each layer's ``(r,)`` importance of its triplets: ``S(lambda_i) + mean_j S(P_ji) + mean_j S(Q_ij)`` (eq. 7)."""
        return [self._score(m.lam) + self._score(m.P).mean(0) + self._score(m.Q).mean(1) for m in self.layers]

    @torch.no_grad()
    def step(self) -> None:
        scores = self.triplet_scores()
        b = self.budget(self.t)
        self.budgets.append(b)
        self.t += 1
        if b >= self.b0:
            return
        flat = torch.cat(scores)                                     # (sum of r,)
        threshold = torch.kthvalue(flat, self.b0 - b).values         # prune the b0 - b least important
        for m, s in zip(self.layers, scores):
            m.lam.masked_fill_(s <= threshold, 0.0)
