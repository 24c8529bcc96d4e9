"""Scaling laws (缩放定律) and the arithmetic of pre-training (预训练) budgets.

Kaplan et al. (2020) found that the test loss of a language model falls as a power law of its
size, :math:`L(N) = (N_c / N)^{\\alpha_N}` with :math:`\\alpha_N \\approx 0.076` for non-embedding
parameters, when data and compute do not limit it; Hoffmann et al. (2022, "Chinchilla") fitted
:math:`L(N, D) = E + A / N^{\\alpha} + B / D^{\\beta}` and found that, for a compute budget
:math:`C \\approx 6 N D` FLOPs, the loss is lowest with about 20 training tokens per parameter.

- :func:`fit_power_law`: ``L = a * N^-alpha`` (a straight line in log-log axes), or
  ``L = a * N^-alpha + c`` with an irreducible loss ``c``;
- :func:`fit_power_law_seeds`: one fit per seed, the exponent's mean and spread;
- :func:`training_flops`, :func:`chinchilla_tokens`: the budget arithmetic;
- :func:`bits_per_byte`: a loss in nats per token turned into bits per byte of text, which does not
  depend on the tokenizer.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np

__all__ = [
    "PowerLaw",
    "PowerLawSeeds",
    "bits_per_byte",
    "chinchilla_tokens",
    "fit_power_law",
    "fit_power_law_seeds",
    "training_flops",
]


class PowerLaw(NamedTuple):
    """``L(N) = a * N**(-alpha) + c``."""

    a: float
    alpha: float
    c: float = 0.0

    def __call__(self, n: np.ndarray | float) -> np.ndarray | float:
        return self.a * np.asarray(n, dtype=float) ** (-self.alpha) + self.c


def _as_xy(n: Sequence[float], loss: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(n, dtype=float), np.asarray(loss, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"n and loss must be 1-D of the same length, got shapes {x.shape} and {y.shape}")
    if len(x) < 2 or len(np.unique(x)) < 2:
        raise ValueError(f"a power law needs at least 2 distinct sizes, got {x.tolist()}")
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("sizes and losses must be positive (the fit is made in log-log axes)")
    return x, y


def fit_power_law(n: Sequence[float], loss: Sequence[float], offset: bool = False) -> PowerLaw:
    """Fit ``loss = a * n**(-alpha)`` (``offset=False``) or ``a * n**(-alpha) + c`` (``offset=True``).

    Without offset it is ordinary least squares of ``log loss = log a - alpha log n`` (exact and
    unique). With offset, ``c`` is chosen in ``[0, min(loss))`` to minimise the squared error of
    the log-log line through ``loss - c`` (a one-dimensional search, then the line's closed form),
    which needs at least 3 sizes.

    Args:
        n: model sizes (parameters), ``(K,)``, positive.
        loss: the losses at those sizes, ``(K,)``, positive.
        offset: fit the irreducible loss ``c`` too.

    Returns:
        A :class:`PowerLaw`.
    """
    x, y = _as_xy(n, loss)
    lx = np.log(x)

    def line(c: float) -> tuple[float, float, float]:
        ly = np.log(y - c)
        slope, intercept = np.polyfit(lx, ly, 1)
        sse = float(((intercept + slope * lx - ly) ** 2).sum())
        return float(np.exp(intercept)), float(-slope), sse

    if not offset:
        a, alpha, _ = line(0.0)
        return PowerLaw(a, alpha, 0.0)
    if len(np.unique(x)) < 3:
        raise ValueError("a power law with an offset needs at least 3 distinct sizes")
    from scipy.optimize import minimize_scalar

    top = float(y.min()) * (1 - 1e-6)
    res = minimize_scalar(lambda c: line(c)[2], bounds=(0.0, top), method="bounded", options={"xatol": 1e-10})
    c = float(res.x) if line(float(res.x))[2] < line(0.0)[2] else 0.0
    a, alpha, _ = line(c)
    return PowerLaw(a, alpha, c)


class PowerLawSeeds(NamedTuple):
    """One power-law fit per seed and the spread of the exponent."""

    fits: list[PowerLaw]
    alpha_mean: float
    alpha_sd: float


def fit_power_law_seeds(n: Sequence[float], losses: Sequence[Sequence[float]], offset: bool = False) -> PowerLawSeeds:
    """Fit :func:`fit_power_law` to each seed's losses and report the exponent's mean and sd (ddof=1).

    Args:
        n: model sizes ``(K,)``.
        losses: ``(S, K)``: one row of losses per seed (S >= 2 for a spread).
        offset: as for :func:`fit_power_law`.
    """
    rows = np.asarray(losses, dtype=float)
    if rows.ndim != 2 or rows.shape[1] != len(n):
        raise ValueError(f"losses must be (seeds, {len(n)}) for {len(n)} sizes, got shape {rows.shape}")
    if rows.shape[0] < 2:
        raise ValueError(f"need at least 2 seeds for a spread, got {rows.shape[0]}")
    fits = [fit_power_law(n, row, offset) for row in rows]
    alphas = np.array([f.alpha for f in fits])
    return PowerLawSeeds(fits, float(alphas.mean()), float(alphas.std(ddof=1)))


def training_flops(n_params: float, n_tokens: float) -> float:
    """About ``6 N D`` FLOPs to train ``N`` parameters on ``D`` tokens (2 for the forward pass,
    4 for the backward pass, per parameter and token; Kaplan et al., 2020, section 2.1)."""
    if n_params <= 0 or n_tokens <= 0:
        raise ValueError(f"need positive n_params and n_tokens, got {n_params} and {n_tokens}")
    return 6.0 * n_params * n_tokens


def chinchilla_tokens(n_params: float, tokens_per_parameter: float = 20.0) -> float:
    """The compute-optimal number of training tokens for ``n_params`` parameters by Hoffmann
    et al.'s (2022) rule of thumb, about 20 tokens per parameter."""
    if n_params <= 0 or tokens_per_parameter <= 0:
        raise ValueError(f"need positive n_params and tokens_per_parameter, got {n_params} and {tokens_per_parameter}")
    return tokens_per_parameter * n_params


def bits_per_byte(loss_nats_per_token: float, n_tokens: int, n_bytes: int) -> float:
    """Turn a mean loss in nats per token into bits per byte of UTF-8 text.

    The total code length of a text is ``loss * n_tokens`` nats, i.e. ``loss * n_tokens / ln 2`` bits,
    spread over its ``n_bytes`` bytes; a model with a coarser tokenizer has a larger loss per token
    but the same bits per byte if it predicts the text equally well.

    Args:
        loss_nats_per_token: the mean cross-entropy per scored token.
        n_tokens: how many tokens were scored.
        n_bytes: how many bytes of text those tokens spell.
    """
    if n_tokens <= 0 or n_bytes <= 0:
        raise ValueError(f"need positive n_tokens and n_bytes, got {n_tokens} and {n_bytes}")
    return loss_nats_per_token * n_tokens / (n_bytes * math.log(2))
