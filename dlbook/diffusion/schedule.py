"""Noise schedules and the Gaussian algebra of the forward (noising) Markov chain.

References:
    Ho, Jain & Abbeel (2020), "Denoising Diffusion Probabilistic Models", NeurIPS: the linear
    schedule (beta from 1e-4 to 0.02, T = 1000), q(x_t | x_0) (eq. 4) and the posterior
    q(x_{t-1} | x_t, x_0) (eqs. 6-7).
    Nichol & Dhariwal (2021), "Improved Denoising Diffusion Probabilistic Models", ICML, eq. 17:
    the cosine schedule.

Steps are 0-based throughout: index ``t`` in ``0 .. T-1`` is the paper's step ``t + 1``, so
``alpha_bars[t]`` is the paper's alpha-bar at step t+1 and ``x_t`` here is one noising step
further than ``x_{t-1}``.
"""

from __future__ import annotations

import math

import torch

from ..utils import check_positive_int

__all__ = ["linear_betas", "cosine_betas", "DDPMSchedule"]


def _check_T(T: int) -> int:
    return check_positive_int("T", T)


def linear_betas(T: int = 1000, start: float = 1e-4, end: float = 0.02) -> torch.Tensor:
    """DDPM's linear schedule: ``T`` variances evenly spaced from ``start`` to ``end`` (Ho et al. 2020).

    Returns:
        ``(T,)`` float64.
    """
    _check_T(T)
    if not 0 < start <= end < 1:
        raise ValueError(f"need 0 < start <= end < 1, got start={start!r}, end={end!r}")
    return torch.linspace(start, end, T, dtype=torch.float64)


def cosine_betas(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """The cosine schedule of Nichol & Dhariwal (2021), eq. 17.

    ``alpha_bar(t) = f(t) / f(0)`` with ``f(t) = cos(((t/T + s) / (1 + s)) * pi/2)^2``, and
    ``beta_t = 1 - alpha_bar(t) / alpha_bar(t-1)`` clipped at ``max_beta`` (0.999 in the paper) so
    that the last steps do not become singular.

    Returns:
        ``(T,)`` float64.
    """
    _check_T(T)
    if s < 0:
        raise ValueError(f"s must be non-negative, got {s!r}")
    steps = torch.arange(T + 1, dtype=torch.float64) / T  # (T+1,) from 0 to 1
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    alpha_bar = f / f[0]  # (T+1,)
    return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=max_beta)


def _gather(values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``values[t]`` shaped ``(B, 1, ..., 1)`` to broadcast against ``like`` ``(B, ...)``."""
    out = values.to(like.device)[t].to(like.dtype)  # (B,)
    return out.reshape(-1, *([1] * (like.dim() - 1)))


class DDPMSchedule:
    """The forward chain ``q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I)`` and what follows from it.

    Attributes (all ``(T,)`` float64, index 0 = the first noising step):
        betas: the per-step variances beta_t.
        alphas: ``1 - betas``.
        alpha_bars: cumulative products ``prod_{s <= t} alpha_s``.
        alpha_bars_prev: ``alpha_bars`` shifted right by one, starting at 1 (the clean data).

    Args:
        betas: ``(T,)`` values in (0, 1), e.g. :func:`linear_betas` or :func:`cosine_betas`.
    """

    def __init__(self, betas: torch.Tensor) -> None:
        if not isinstance(betas, torch.Tensor) or betas.dim() != 1 or len(betas) == 0:
            got = tuple(betas.shape) if isinstance(betas, torch.Tensor) else type(betas).__name__
            raise ValueError(f"betas must be a 1-D tensor of shape (T,), got {got}")
        betas = betas.detach().double().cpu()
        if not ((betas > 0) & (betas < 1)).all():
            raise ValueError(f"betas must lie in (0, 1), got range [{betas.min().item():.3g}, {betas.max().item():.3g}]")
        self.betas = betas
        self.alphas = 1 - betas
        self.alpha_bars = torch.cumprod(self.alphas, dim=0)
        self.alpha_bars_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bars[:-1]])

    @property
    def T(self) -> int:
        """Number of noising steps."""
        return len(self.betas)

    def __repr__(self) -> str:
        return (f"DDPMSchedule(T={self.T}, beta {self.betas[0].item():.3g}..{self.betas[-1].item():.3g}, "
                f"alpha_bar_T={self.alpha_bars[-1].item():.3g})")

    def snr(self) -> torch.Tensor:
        """Signal-to-noise ratio ``alpha_bar_t / (1 - alpha_bar_t)`` per step, ``(T,)``."""
        return self.alpha_bars / (1 - self.alpha_bars)

    def _check_t(self, t: torch.Tensor, x: torch.Tensor, min_t: int = 0) -> None:
        if not isinstance(t, torch.Tensor) or t.dtype != torch.long or t.dim() != 1 or len(t) != len(x):
            got = (f"{t.dtype} of shape {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__)
            raise ValueError(f"t must be a LongTensor of shape ({len(x)},), got {got}")
        if len(t) and (t.min() < min_t or t.max() >= self.T):
            raise ValueError(f"t must lie in [{min_t}, {self.T - 1}], got [{t.min().item()}, {t.max().item()}]")

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Draw ``x_t ~ q(x_t | x_0)`` in one step: ``sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise``.

        Args:
            x0: clean data ``(B, ...)``.
            t: ``(B,)`` long, 0-based step indices.
            noise: standard normal ``epsilon`` of the same shape as ``x0``.

        Returns:
            ``x_t``, shaped like ``x0``.
        """
        self._check_t(t, x0)
        if noise.shape != x0.shape:
            raise ValueError(f"noise must have the shape of x0 {tuple(x0.shape)}, got {tuple(noise.shape)}")
        ab = _gather(self.alpha_bars, t, x0)
        return ab.sqrt() * x0 + (1 - ab).sqrt() * noise

    def predict_x0(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """Invert :meth:`q_sample` for ``x0`` given the noise: ``(x_t - sqrt(1 - ab) eps) / sqrt(ab)``."""
        self._check_t(t, x_t)
        ab = _gather(self.alpha_bars, t, x_t)
        return (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()

    def posterior_mean_variance(
        self, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance of ``q(x_{t-1} | x_t, x_0)`` (Ho et al. 2020, eqs. 6-7), for ``t >= 1``.

        ``mean = sqrt(ab_{t-1}) beta_t / (1 - ab_t) x0 + sqrt(alpha_t) (1 - ab_{t-1}) / (1 - ab_t) x_t``,
        ``variance = (1 - ab_{t-1}) / (1 - ab_t) beta_t`` (the same for every coordinate).

        Args:
            x0, x_t: ``(B, ...)``.
            t: ``(B,)`` long, 0-based, each >= 1 (at index 0, x_{t-1} is x0 itself).

        Returns:
            ``(mean, variance)``: mean shaped like ``x_t``, variance ``(B, 1, ..., 1)``.
        """
        self._check_t(t, x_t, min_t=1)
        if x0.shape != x_t.shape:
            raise ValueError(f"x0 and x_t must have the same shape, got {tuple(x0.shape)} and {tuple(x_t.shape)}")
        ab, ab_prev = _gather(self.alpha_bars, t, x_t), _gather(self.alpha_bars_prev, t, x_t)
        beta, alpha = _gather(self.betas, t, x_t), _gather(self.alphas, t, x_t)
        mean = ab_prev.sqrt() * beta / (1 - ab) * x0 + alpha.sqrt() * (1 - ab_prev) / (1 - ab) * x_t
        return mean, (1 - ab_prev) / (1 - ab) * beta
