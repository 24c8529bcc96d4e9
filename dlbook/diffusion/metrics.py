"""A distance between two samples: the energy distance.

Reference: Szekely & Rizzo (2013), "Energy statistics: A class of statistics based on distances",
Journal of Statistical Planning and Inference 143(8), eq. 2.
"""

from __future__ import annotations

import torch

__all__ = ["energy_distance"]


def energy_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """``2 E|A - B| - E|A - A'| - E|B - B'|`` between two samples ``(N, D)`` and ``(M, D)``.

    It is zero when the two distributions are equal and positive otherwise (for distributions
    with finite means); the within-sample terms use the unbiased mean over distinct pairs.
    """
    for name, s in (("a", a), ("b", b)):
        if not isinstance(s, torch.Tensor) or s.dim() != 2 or len(s) < 2:
            got = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
            raise ValueError(f"{name} must be a tensor of shape (N, D) with N >= 2, got {got}")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same dimension, got {a.shape[1]} and {b.shape[1]}")
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    n, m = len(a), len(b)
    ab = torch.cdist(a, b).mean()
    aa = torch.cdist(a, a).sum() / (n * (n - 1))  # the diagonal is zero
    bb = torch.cdist(b, b).sum() / (m * (m - 1))
    return float(2 * ab - aa - bb)
