"""Small denoisers: a sinusoidal time embedding, an MLP for 2-D points and a two-level U-Net for small images.

References:
    Vaswani et al. (2017), "Attention Is All You Need", section 3.5: the sinusoidal embedding,
    used for the diffusion step by Ho et al. (2020), appendix B.
    Ronneberger, Fischer & Brox (2015), "U-Net", MICCAI: the encoder-decoder with skip connections.
"""

from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F

from ..utils import check_positive_int

__all__ = ["timestep_embedding", "MLPDenoiser", "UNet"]


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Sinusoidal embedding of (possibly fractional) steps.

    ``[cos(t w_0), ..., cos(t w_{d/2-1}), sin(t w_0), ..., sin(t w_{d/2-1})]`` with
    ``w_i = max_period^(-i / (d/2))``.

    Args:
        t: ``(B,)`` steps (long or float).
        dim: an even embedding size.

    Returns:
        ``(B, dim)`` float32.
    """
    if t.dim() != 1:
        raise ValueError(f"t must have shape (B,), got {tuple(t.shape)}")
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2 or dim % 2:
        raise ValueError(f"dim must be an even int >= 2, got {dim!r}")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)  # (half,)
    angles = t.float()[:, None] * freqs[None, :]  # (B, half)
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=1)  # (B, dim)


class _Conditioning(nn.Module):
    """Embeds the step (and a class label, with one extra 'null' class) into one vector per example."""

    def __init__(self, emb_dim: int, num_classes: int | None) -> None:
        super().__init__()
        self.emb_dim = emb_dim
        self.num_classes = num_classes
        self.time = nn.Sequential(nn.Linear(emb_dim, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.label = nn.Embedding(num_classes + 1, emb_dim) if num_classes else None

    def forward(self, t: torch.Tensor, labels: torch.Tensor | None, batch: int) -> torch.Tensor:
        if t.shape != (batch,):
            raise ValueError(f"t must have shape ({batch},), got {tuple(t.shape)}")
        e = self.time(timestep_embedding(t, self.emb_dim))  # (B, E)
        if self.label is not None:
            if labels is None:
                raise ValueError(f"this denoiser is class-conditional: pass labels (B,) in [0, {self.num_classes}]")
            if labels.shape != (batch,):
                raise ValueError(f"labels must have shape ({batch},), got {tuple(labels.shape)}")
            e = e + self.label(labels)
        elif labels is not None:
            raise ValueError("this denoiser is unconditional (num_classes=None) but labels were given")
        return e


class MLPDenoiser(nn.Module):
    """``eps_hat = f(x_t, t[, label])`` for points ``(B, dim)``: residual SiLU blocks with the embedding added.

    Args:
        dim: data dimension.
        hidden: width.
        depth: number of residual blocks.
        emb_dim: time-embedding size.
        num_classes: class-conditional with this many classes (label ``num_classes`` = none), or ``None``.
        fourier: number of octaves ``K`` of Fourier features of the input: the first layer reads
            ``[x, sin(2^k pi x), cos(2^k pi x)]`` for ``k < K`` (Tancik et al. 2020, "Fourier Features Let
            Networks Learn High Frequency Functions"), which lets a small MLP resolve sharp modes.
    """

    def __init__(self, dim: int = 2, hidden: int = 128, depth: int = 3, emb_dim: int = 32,
                 num_classes: int | None = None, fourier: int = 0) -> None:
        super().__init__()
        for name, v in (("dim", dim), ("hidden", hidden), ("depth", depth), ("emb_dim", emb_dim)):
            check_positive_int(name, v)
        check_positive_int("fourier", fourier, minimum=0)
        self.dim = dim
        self.fourier = fourier
        self.register_buffer("freqs", math.pi * 2.0 ** torch.arange(fourier, dtype=torch.float32), persistent=False)
        self.cond = _Conditioning(emb_dim, num_classes)
        self.inp = nn.Linear(dim * (1 + 2 * fourier), hidden)
        self.emb = nn.ModuleList(nn.Linear(emb_dim, hidden) for _ in range(depth))
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, hidden)) for _ in range(depth)
        )
        self.out = nn.Sequential(nn.SiLU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (B, {self.dim}), got {tuple(x.shape)}")
        e = self.cond(t, labels, len(x))  # (B, E)
        if self.fourier:
            angles = (x[:, :, None] * self.freqs).reshape(len(x), -1)  # (B, dim * K)
            x = torch.cat([x, torch.sin(angles), torch.cos(angles)], dim=1)  # (B, dim * (1 + 2K))
        h = self.inp(x)  # (B, H)
        for emb, block in zip(self.emb, self.blocks):
            h = h + block(h + emb(e))  # (B, H)
        return self.out(h)  # (B, dim)


class _ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = nn.GroupNorm(groups, c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))  # (B, C_out, H, W)
        h = h + self.emb(e)[:, :, None, None]  # the step (and label) as a per-channel shift
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """A two-level U-Net ``eps_hat = f(x_t, t[, label])`` for images ``(B, C, H, W)`` with even H and W.

    Level 1 works at H x W with ``width`` channels, level 2 at H/2 x W/2 with ``2 * width``; the
    decoder concatenates the encoder's level-1 features (the skip connection).

    Args:
        channels: image channels.
        width: channels of level 1 (a multiple of ``groups``).
        emb_dim: embedding size of the step (and label).
        num_classes: class-conditional with this many classes (label ``num_classes`` = none), or ``None``.
        groups: GroupNorm groups.
    """

    def __init__(self, channels: int = 1, width: int = 32, emb_dim: int = 64, num_classes: int | None = None,
                 groups: int = 8) -> None:
        super().__init__()
        if width % groups:
            raise ValueError(f"width must be a multiple of groups={groups}, got {width}")
        self.channels = channels
        self.cond = _Conditioning(emb_dim, num_classes)
        self.inp = nn.Conv2d(channels, width, 3, padding=1)
        self.enc1 = _ResBlock(width, width, emb_dim, groups)
        self.down = nn.Conv2d(width, 2 * width, 3, stride=2, padding=1)
        self.mid = _ResBlock(2 * width, 2 * width, emb_dim, groups)
        self.up = nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1)
        self.dec1 = _ResBlock(2 * width, width, emb_dim, groups)
        self.out = nn.Sequential(nn.GroupNorm(groups, width), nn.SiLU(), nn.Conv2d(width, channels, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.channels or x.shape[2] % 2 or x.shape[3] % 2:
            raise ValueError(f"x must have shape (B, {self.channels}, H, W) with even H, W, got {tuple(x.shape)}")
        e = self.cond(t, labels, len(x))  # (B, E)
        h1 = self.enc1(self.inp(x), e)  # (B, w, H, W)
        h2 = self.mid(self.down(h1), e)  # (B, 2w, H/2, W/2)
        h = self.dec1(torch.cat([self.up(h2), h1], dim=1), e)  # (B, 2w, H, W) -> (B, w, H, W)
        return self.out(h)  # (B, C, H, W)
