"""Training objectives as modules, so that :func:`dlbook.fit` trains a denoiser unchanged.

``fit`` computes ``loss_fn(model(x), y)``. A diffusion model's loss needs a random step and random
noise per example, so the model handed to ``fit`` is an objective module that wraps the denoiser:
its forward pass draws ``t`` and ``eps``, noises the batch and returns ``(prediction, target)``;
:func:`prediction_loss` is the mean squared error between the two.

References:
    Ho, Jain & Abbeel (2020), "Denoising Diffusion Probabilistic Models", Algorithm 1 (L_simple).
    Ho & Salimans (2022), "Classifier-Free Diffusion Guidance", Algorithm 1 (label dropout).
    Lipman et al. (2023), "Flow Matching for Generative Modeling", ICLR; Liu, Gong & Liu (2023),
    "Flow Straight and Fast" (rectified flow): the straight-line path and its velocity.
"""

from __future__ import annotations

import torch
from torch import nn

from .schedule import DDPMSchedule
from ..utils import check_positive_int

__all__ = ["NoisePrediction", "FlowMatching", "prediction_loss", "DiffusionBatches", "flow_sample"]


def prediction_loss(outputs: tuple[torch.Tensor, torch.Tensor], targets: torch.Tensor | None = None) -> torch.Tensor:
    """``mean((prediction - target)^2)`` over an objective module's ``(prediction, target)``; ``targets`` is ignored."""
    if not isinstance(outputs, (tuple, list)) or len(outputs) != 2:
        raise TypeError(f"outputs must be the pair (prediction, target) of an objective module, got {type(outputs).__name__}")
    prediction, target = outputs
    return (prediction - target).pow(2).mean()


def _drop_labels(labels: torch.Tensor | None, p: float, null_label: int | None) -> torch.Tensor | None:
    if labels is None or p == 0:
        return labels
    drop = torch.rand(labels.shape, device=labels.device) < p
    return torch.where(drop, torch.full_like(labels, null_label), labels)


class NoisePrediction(nn.Module):
    """DDPM's ``L_simple``: draw ``t ~ U{0..T-1}``, ``eps ~ N(0, I)``; return ``(denoiser(x_t, t), eps)``.

    Args:
        denoiser: ``(x_t, t[, labels]) -> eps_hat``.
        schedule: the :class:`DDPMSchedule`.
        p_uncond: probability of replacing a label by ``null_label`` (classifier-free guidance training).
        null_label: the "no label" class (e.g. ``num_classes``).
    """

    def __init__(self, denoiser: nn.Module, schedule: DDPMSchedule, p_uncond: float = 0.0,
                 null_label: int | None = None) -> None:
        super().__init__()
        if not 0 <= p_uncond < 1:
            raise ValueError(f"p_uncond must lie in [0, 1), got {p_uncond!r}")
        if p_uncond > 0 and null_label is None:
            raise ValueError("p_uncond > 0 needs a null_label")
        self.denoiser = denoiser
        self.schedule = schedule
        self.p_uncond = p_uncond
        self.null_label = null_label

    def forward(self, x0: torch.Tensor, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        t = torch.randint(self.schedule.T, (len(x0),), device=x0.device)  # (B,)
        eps = torch.randn_like(x0)
        x_t = self.schedule.q_sample(x0, t, eps)
        labels = _drop_labels(labels, self.p_uncond, self.null_label)
        eps_hat = self.denoiser(x_t, t) if labels is None else self.denoiser(x_t, t, labels)
        return eps_hat, eps


class FlowMatching(nn.Module):
    """Conditional flow matching on the straight path ``x_s = (1 - s) z + s x1``, ``z ~ N(0, I)``, ``s ~ U(0, 1)``.

    Returns ``(velocity(x_s, s * time_scale), x1 - z)``: the network regresses the path's velocity.
    ``time_scale`` (default 1000) puts ``s`` on the same scale as DDPM's steps for the time embedding.
    """

    def __init__(self, velocity: nn.Module, time_scale: float = 1000.0) -> None:
        super().__init__()
        self.velocity = velocity
        self.time_scale = time_scale

    def forward(self, x1: torch.Tensor, labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.randn_like(x1)
        s = torch.rand(len(x1), device=x1.device)  # (B,)
        shape = (-1,) + (1,) * (x1.dim() - 1)
        x_s = (1 - s.reshape(shape)) * z + s.reshape(shape) * x1
        args = (x_s, s * self.time_scale) if labels is None else (x_s, s * self.time_scale, labels)
        return self.velocity(*args), x1 - z


@torch.no_grad()
def flow_sample(velocity: nn.Module, z: torch.Tensor, steps: int = 50, time_scale: float = 1000.0) -> torch.Tensor:
    """Integrate ``dx/ds = v(x, s)`` from ``s = 0`` (noise ``z``) to ``s = 1`` with ``steps`` Euler steps."""
    check_positive_int("steps", steps)
    x = z
    for i in range(steps):
        s = torch.full((len(x),), i / steps * time_scale, device=x.device)
        x = x + velocity(x, s) / steps
    return x


class DiffusionBatches:
    """Shuffled mini-batches of ``x`` (and ``labels``) for :func:`dlbook.fit` and an objective module.

    Yields ``(x0, dummy)`` without labels, or ``((x0, labels), labels)`` with them, so that ``fit``
    calls ``objective(x0)`` or ``objective(x0, labels)``. Batches are slices of one permutation
    per epoch (no per-example indexing, which costs more than a small denoiser's step); the last
    partial batch is dropped.
    """

    def __init__(self, x: torch.Tensor, labels: torch.Tensor | None = None, batch_size: int = 128,
                 seed: int = 0) -> None:
        if labels is not None and len(labels) != len(x):
            raise ValueError(f"x has {len(x)} rows but labels has {len(labels)}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= len(x):
            raise ValueError(f"batch_size must be an int in [1, {len(x)}], got {batch_size!r}")
        self.x, self.labels, self.batch_size = x, labels, batch_size
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.x) // self.batch_size

    def __iter__(self):
        perm = torch.randperm(len(self.x), generator=self.generator)
        dummy = torch.zeros(self.batch_size, dtype=torch.long)
        for i in range(len(self)):
            idx = perm[i * self.batch_size : (i + 1) * self.batch_size]
            if self.labels is None:
                yield self.x[idx], dummy
            else:
                yield (self.x[idx], self.labels[idx]), self.labels[idx]
