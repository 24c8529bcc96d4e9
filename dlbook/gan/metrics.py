"""Measures of a generator: mode coverage on a known mixture, and a Frechet distance of features.

References:
    Srivastava et al. (2017), "VEEGAN", NeurIPS, section 5.1: modes covered and high-quality
    samples, counted within three standard deviations of a mode's centre.
    Heusel et al. (2017), "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", NeurIPS: the Frechet distance between Gaussians fitted to features (FID).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

__all__ = ["Coverage", "mode_coverage", "frechet_distance"]


class Coverage(NamedTuple):
    """What :func:`mode_coverage` measures on one set of samples."""

    modes_covered: int  # modes holding at least `min_fraction` of the samples
    high_quality: float  # fraction of samples within n_sigma * std of some centre
    counts: torch.Tensor  # (K,) samples assigned to each mode (within n_sigma * std of it)


def mode_coverage(
    samples: torch.Tensor, centers: torch.Tensor, std: float, n_sigma: float = 3.0, min_fraction: float = 0.01
) -> Coverage:
    """Count the modes a generator covers and the share of its samples that are good.

    A sample is *high quality* when it lies within ``n_sigma * std`` of its nearest centre, and
    then it counts for that mode; a mode is *covered* when it holds at least ``min_fraction`` of
    all samples.

    Args:
        samples: ``(N, D)`` generated points.
        centers: ``(K, D)`` mode centres.
        std: the modes' standard deviation.
        n_sigma: radius of a mode's neighbourhood, in standard deviations.
        min_fraction: share of the samples a mode needs to count as covered.

    Returns:
        :class:`Coverage`.
    """
    if not isinstance(samples, torch.Tensor) or samples.dim() != 2:
        got = tuple(samples.shape) if isinstance(samples, torch.Tensor) else type(samples).__name__
        raise ValueError(f"samples must be a tensor of shape (N, D), got {got}")
    if centers.dim() != 2 or centers.shape[1] != samples.shape[1]:
        raise ValueError(f"centers must have shape (K, {samples.shape[1]}), got {tuple(centers.shape)}")
    if len(samples) == 0:
        raise ValueError("samples is empty")
    if std <= 0:
        raise ValueError(f"std must be positive, got {std!r}")
    samples = samples.detach().float().cpu()
    centers = centers.float().cpu()
    dist = torch.cdist(samples, centers)  # (N, K)
    nearest_dist, nearest = dist.min(dim=1)  # (N,), (N,)
    good = nearest_dist <= n_sigma * std  # (N,)
    counts = torch.bincount(nearest[good], minlength=len(centers))  # (K,)
    covered = int((counts >= min_fraction * len(samples)).sum())
    return Coverage(covered, good.float().mean().item(), counts)


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to two sets of feature vectors.

    ``||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, the formula of FID (Heusel et al.
    2017); with a course classifier's features instead of Inception's it is only comparable
    within one notebook.

    Args:
        features_a, features_b: ``(N_a, F)`` and ``(N_b, F)``, each with N >= 2.

    Returns:
        A non-negative float (0 for identical sets).
    """
    import scipy.linalg

    for name, f in (("features_a", features_a), ("features_b", features_b)):
        if not isinstance(f, torch.Tensor) or f.dim() != 2 or len(f) < 2:
            got = tuple(f.shape) if isinstance(f, torch.Tensor) else type(f).__name__
            raise ValueError(f"{name} must be a tensor of shape (N, F) with N >= 2, got {got}")
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(f"feature sizes differ: {features_a.shape[1]} and {features_b.shape[1]}")
    a = features_a.detach().double().cpu().numpy()
    b = features_b.detach().double().cpu().numpy()
    mu_a, mu_b = a.mean(0), b.mean(0)  # (F,)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)  # (F, F)
    root = scipy.linalg.sqrtm(cov_a @ cov_b)  # (F, F); may carry a tiny imaginary part
    distance = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * np.real(root)))
    return max(distance, 0.0)
