"""Reverse-process samplers: DDPM's ancestral step, DDIM, classifier-free guidance, RePaint.

A denoiser is any callable ``eps_model(x_t, t) -> eps_hat`` with ``x_t`` of shape ``(B, ...)`` and
``t`` a ``(B,)`` long tensor of 0-based step indices; it predicts the noise that
:meth:`DDPMSchedule.q_sample` added. Wrap a conditional network with :func:`classifier_free`.

References:
    Ho, Jain & Abbeel (2020), "Denoising Diffusion Probabilistic Models", Algorithm 2.
    Song, Meng & Ermon (2021), "Denoising Diffusion Implicit Models", ICLR, eq. 12.
    Ho & Salimans (2022), "Classifier-Free Diffusion Guidance", eq. 6.
    Lugmayr et al. (2022), "RePaint: Inpainting using Denoising Diffusion Probabilistic Models", CVPR, Algorithm 1.
"""

from __future__ import annotations

from typing import Callable

import torch

from .schedule import DDPMSchedule
from ..utils import check_positive_int

__all__ = [
    "EpsModel",
    "ddpm_step",
    "ddpm_sample",
    "ddim_timesteps",
    "ddim_step",
    "ddim_sample",
    "classifier_free",
    "repaint_sample",
]

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _scalar(values: torch.Tensor, t: int, like: torch.Tensor) -> torch.Tensor:
    return values[t].to(device=like.device, dtype=like.dtype)


def _check_step(schedule: DDPMSchedule, t: int) -> None:
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < schedule.T:
        raise ValueError(f"t must be an int in [0, {schedule.T - 1}], got {t!r}")


def ddpm_step(
    schedule: DDPMSchedule,
    eps: torch.Tensor,
    x_t: torch.Tensor,
    t: int,
    noise: torch.Tensor | None = None,
    variance: str = "posterior",
    clip: float | None = None,
) -> torch.Tensor:
    """One ancestral step ``x_t -> x_{t-1}`` (Ho et al. 2020, Algorithm 2, line 4).

    ``mean = (x_t - beta_t / sqrt(1 - ab_t) * eps) / sqrt(alpha_t)``, which equals the posterior mean
    of :meth:`DDPMSchedule.posterior_mean_variance` at the predicted ``x0``; noise of variance
    ``posterior`` (beta-tilde_t, diffusers' "fixed_small") or ``beta`` (beta_t) is added except at t = 0.

    Args:
        eps: the predicted noise, shaped like ``x_t`` ``(B, ...)``.
        t: the current 0-based step (the same for the whole batch).
        noise: standard normal, shaped like ``x_t``; drawn when ``None``.
        clip: clamp the predicted ``x0`` to ``[-clip, clip]`` before taking the posterior mean.

    Returns:
        ``x_{t-1}`` (at ``t = 0``: the predicted ``x0``, i.e. the posterior mean with no noise).
    """
    _check_step(schedule, t)
    if variance not in ("posterior", "beta"):
        raise ValueError(f"variance must be 'posterior' or 'beta', got {variance!r}")
    if eps.shape != x_t.shape:
        raise ValueError(f"eps must have the shape of x_t {tuple(x_t.shape)}, got {tuple(eps.shape)}")
    ab, ab_prev = _scalar(schedule.alpha_bars, t, x_t), _scalar(schedule.alpha_bars_prev, t, x_t)
    beta, alpha = _scalar(schedule.betas, t, x_t), _scalar(schedule.alphas, t, x_t)
    if clip is None:
        mean = (x_t - beta / (1 - ab).sqrt() * eps) / alpha.sqrt()
    else:
        x0 = ((x_t - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-clip, clip)
        mean = ab_prev.sqrt() * beta / (1 - ab) * x0 + alpha.sqrt() * (1 - ab_prev) / (1 - ab) * x_t
    if t == 0:
        return mean
    var = (1 - ab_prev) / (1 - ab) * beta if variance == "posterior" else beta
    if noise is None:
        noise = torch.randn_like(x_t)
    return mean + var.sqrt() * noise


def _batch_t(t: int, x: torch.Tensor) -> torch.Tensor:
    return torch.full((len(x),), t, dtype=torch.long, device=x.device)


@torch.no_grad()
def ddpm_sample(
    eps_model: EpsModel,
    schedule: DDPMSchedule,
    x_T: torch.Tensor,
    variance: str = "posterior",
    clip: float | None = None,
    generator: torch.Generator | None = None,
    keep: tuple[int, ...] = (),
) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    """Run the reverse chain from pure noise ``x_T`` ``(B, ...)`` through all ``T`` steps.

    Args:
        eps_model: ``(x_t, t) -> eps_hat``.
        x_T: the starting noise; its device and dtype are used throughout.
        generator: draws the per-step noise (on ``x_T``'s device) for reproducible samples.
        keep: 0-based steps whose *input* ``x_t`` to keep (``T`` keeps ``x_T``; 0 is one step from the end).

    Returns:
        ``(x_0, kept)`` with ``kept[t]`` the states requested in ``keep`` (on the CPU).
    """
    x = x_T
    kept: dict[int, torch.Tensor] = {}
    if schedule.T in keep:
        kept[schedule.T] = x.cpu()
    for t in range(schedule.T - 1, -1, -1):
        if t in keep and t != schedule.T:
            kept[t] = x.cpu()
        eps = eps_model(x, _batch_t(t, x))
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) if t > 0 else None
        x = ddpm_step(schedule, eps, x, t, noise, variance=variance, clip=clip)
    return x, kept


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """Evenly spaced 0-based steps for DDIM, largest first: ``[(steps-1)*k, ..., k, 0]`` with ``k = T // steps``.

    This is diffusers' ``timestep_spacing="leading"`` (its default for DDIMScheduler).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= T:
        raise ValueError(f"steps must be an int in [1, {T}], got {steps!r}")
    k = T // steps
    return [i * k for i in range(steps - 1, -1, -1)]


def ddim_step(
    schedule: DDPMSchedule,
    eps: torch.Tensor,
    x_t: torch.Tensor,
    t: int,
    t_prev: int,
    eta: float = 0.0,
    noise: torch.Tensor | None = None,
    clip: float | None = None,
) -> torch.Tensor:
    """One DDIM update from step ``t`` to the earlier step ``t_prev`` (-1 = the clean data), eq. 12 of Song et al.

    ``x_prev = sqrt(ab_prev) x0_hat + sqrt(1 - ab_prev - sigma^2) eps + sigma z``, with
    ``x0_hat = (x_t - sqrt(1 - ab_t) eps) / sqrt(ab_t)`` and
    ``sigma = eta * sqrt((1 - ab_prev) / (1 - ab_t)) * sqrt(1 - ab_t / ab_prev)``; ``eta = 0`` is
    deterministic and ``eta = 1`` is DDPM's ancestral step when ``t_prev = t - 1``.

    With ``clip``, ``x0_hat`` is clamped to ``[-clip, clip]`` and ``eps`` is re-derived from the clamped
    ``x0_hat``, so that the two terms stay consistent (diffusers re-derives it only when asked, with
    ``use_clipped_model_output=True``).
    """
    _check_step(schedule, t)
    if isinstance(t_prev, bool) or not isinstance(t_prev, int) or not -1 <= t_prev < t:
        raise ValueError(f"t_prev must be an int in [-1, {t - 1}], got {t_prev!r}")
    if eps.shape != x_t.shape:
        raise ValueError(f"eps must have the shape of x_t {tuple(x_t.shape)}, got {tuple(eps.shape)}")
    ab = _scalar(schedule.alpha_bars, t, x_t)
    ab_prev = _scalar(schedule.alpha_bars, t_prev, x_t) if t_prev >= 0 else torch.ones((), dtype=x_t.dtype, device=x_t.device)
    x0 = (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()
    if clip is not None:
        x0 = x0.clamp(-clip, clip)
        eps = (x_t - ab.sqrt() * x0) / (1 - ab).sqrt()
    sigma = eta * ((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev)).sqrt()
    x_prev = ab_prev.sqrt() * x0 + (1 - ab_prev - sigma**2).clamp(min=0).sqrt() * eps
    if eta > 0:
        x_prev = x_prev + sigma * (torch.randn_like(x_t) if noise is None else noise)
    return x_prev


@torch.no_grad()
def ddim_sample(
    eps_model: EpsModel,
    schedule: DDPMSchedule,
    x_T: torch.Tensor,
    steps: int = 50,
    eta: float = 0.0,
    clip: float | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Sample with ``steps`` DDIM updates on the steps of :func:`ddim_timesteps` (``eta = 0``: deterministic).

    Returns:
        ``x_0`` shaped like ``x_T``.
    """
    ts = ddim_timesteps(schedule.T, steps)
    x = x_T
    for t, t_prev in zip(ts, ts[1:] + [-1]):
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype) if eta > 0 else None
        x = ddim_step(schedule, eps_model(x, _batch_t(t, x)), x, t, t_prev, eta=eta, noise=noise, clip=clip)
    return x


def classifier_free(
    model: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    labels: torch.Tensor,
    scale: float,
    null_label: int,
) -> EpsModel:
    """Classifier-free guidance (Ho & Salimans 2022, eq. 6): ``(1 + w) eps(x, t, c) - w eps(x, t, null)``.

    Args:
        model: a conditional denoiser ``(x_t, t, labels) -> eps_hat`` trained with labels dropped to
            ``null_label`` some of the time.
        labels: ``(B,)`` long, the requested classes.
        scale: the guidance weight ``w`` (0: the plain conditional model; -1: the unconditional one).

    Returns:
        An ``(x_t, t) -> eps`` callable for the samplers. Both passes run as one batch of ``2B``.
    """
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.long or labels.dim() != 1:
        raise ValueError(f"labels must be a 1-D LongTensor, got {getattr(labels, 'dtype', type(labels).__name__)}")

    def eps_model(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if len(x) != len(labels):
            raise ValueError(f"x_t has {len(x)} rows but {len(labels)} labels were given")
        if scale == 0:
            return model(x, t, labels)
        null = torch.full_like(labels, null_label)
        eps = model(torch.cat([x, x]), torch.cat([t, t]), torch.cat([labels, null]))  # (2B, ...)
        cond, uncond = eps.chunk(2)
        return (1 + scale) * cond - scale * uncond

    return eps_model


@torch.no_grad()
def repaint_sample(
    eps_model: EpsModel,
    schedule: DDPMSchedule,
    x0_known: torch.Tensor,
    mask: torch.Tensor,
    x_T: torch.Tensor,
    resample: int = 1,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Inpaint with an unconditional denoiser (Lugmayr et al. 2022, Algorithm 1, jump length 1).

    At each step the known pixels are the data noised to that step by ``q(x_{t-1} | x_0)``, the
    unknown ones come from the reverse step, and the two are joined by ``mask``. With
    ``resample = U > 1``, the joined ``x_{t-1}`` is noised back to ``x_t`` by one forward step and the
    step repeated, U times in all, which lets the generated part agree with the known part.

    Args:
        x0_known: ``(B, ...)`` the images, read only where ``mask`` is 1.
        mask: 1 where known, 0 where to generate; broadcastable to ``x0_known``.
        x_T: ``(B, ...)`` starting noise.
        resample: U, the number of passes per step.

    Returns:
        ``x_0``: known pixels equal to ``x0_known`` where ``mask`` is 1.
    """
    check_positive_int("resample", resample)
    if x0_known.shape != x_T.shape:
        raise ValueError(f"x0_known and x_T must have the same shape, got {tuple(x0_known.shape)} and {tuple(x_T.shape)}")

    def randn() -> torch.Tensor:
        return torch.randn(x_T.shape, generator=generator, device=x_T.device, dtype=x_T.dtype)

    mask = mask.to(device=x_T.device, dtype=x_T.dtype)
    x = x_T
    for t in range(schedule.T - 1, -1, -1):
        for u in range(resample):
            if t > 0:
                known = schedule.q_sample(x0_known, _batch_t(t - 1, x), randn())
            else:
                known = x0_known
            unknown = ddpm_step(schedule, eps_model(x, _batch_t(t, x)), x, t, randn() if t > 0 else None)
            x_prev = mask * known + (1 - mask) * unknown
            if u < resample - 1 and t > 0:
                beta = _scalar(schedule.betas, t, x)
                x = (1 - beta).sqrt() * x_prev + beta.sqrt() * randn()  # one forward step back up to x_t
        x = x_prev
    return x
