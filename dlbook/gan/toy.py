"""The 2-D toy for GANs: a ring of Gaussians and small MLP players.

Reference: Metz et al. (2017), "Unrolled Generative Adversarial Networks", ICLR, section 3.1:
the mixture of 8 Gaussians on a ring.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..data import make_ring
from ..utils import check_positive_int

__all__ = ["ring_centers", "make_ring", "mlp_generator", "mlp_discriminator"]


def ring_centers(modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """Centres of ``modes`` Gaussians evenly spaced on a circle, the same as
    :func:`dlbook.data.make_ring` uses.

    Returns:
        ``(modes, 2)`` float32.
    """
    check_positive_int("modes", modes)
    angles = 2 * math.pi * torch.arange(modes, dtype=torch.float32) / modes
    return radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)  # (modes, 2)


def _mlp(sizes: list[int], activation: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def mlp_generator(latent_dim: int = 2, hidden: int = 64, depth: int = 3, out_dim: int = 2) -> nn.Sequential:
    """A small generator ``z (B, latent_dim) -> x (B, out_dim)``: ``depth`` linear layers, ReLU between."""
    for name, v in (("latent_dim", latent_dim), ("hidden", hidden), ("depth", depth), ("out_dim", out_dim)):
        check_positive_int(name, v)
    return _mlp([latent_dim] + [hidden] * (depth - 1) + [out_dim], nn.ReLU)


def mlp_discriminator(in_dim: int = 2, hidden: int = 64, depth: int = 3) -> nn.Sequential:
    """A small discriminator or critic ``x (B, in_dim) -> (B, 1)``; LeakyReLU(0.2) between layers.

    It returns a raw score: a logit for a GAN's discriminator (``D(x) = sigmoid(score)``, applied
    inside the loss) and the critic's value for a WGAN, which has no sigmoid at all.
    """
    for name, v in (("in_dim", in_dim), ("hidden", hidden), ("depth", depth)):
        check_positive_int(name, v)
    return _mlp([in_dim] + [hidden] * (depth - 1) + [1], lambda: nn.LeakyReLU(0.2))
