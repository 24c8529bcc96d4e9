"""Remedies for overfitting written out: dropout (direct and inverted), batch norm, random shifts.

- :func:`dropout_direct` / :class:`DirectDropout`: drop units at training time without
  rescaling, multiply by the keep probability at test time (the original formulation).
- :func:`dropout_inverted` / :class:`InvertedDropout`: rescale the kept units by ``1/(1-p)`` at
  training time so that test time is the identity (what ``nn.Dropout`` does).
- :class:`BatchNorm`: batch normalisation with running statistics, for ``(N, C)``,
  ``(N, C, L)`` and ``(N, C, H, W)`` inputs, matching ``nn.BatchNorm1d/2d``.
- :func:`random_shift` / :class:`RandomShift`: translate images by a few pixels, for data
  augmentation.

References: Srivastava et al. (2014), "Dropout: a simple way to prevent neural networks from
overfitting"; Ioffe and Szegedy (2015), "Batch normalization".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .utils import check_positive_int

__all__ = [
    "dropout_direct",
    "dropout_inverted",
    "DirectDropout",
    "InvertedDropout",
    "BatchNorm",
    "random_shift",
    "RandomShift",
]


def _check_p(p: float) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"dropout probability p must be a number, got {type(p).__name__}")
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability p must be in [0, 1), got {p}")
    return float(p)


def _check_tensor(x: object, name: str = "x") -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    return x


def _keep_mask(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    # Bernoulli(1 - p) per element: 1 keeps the unit, 0 drops it.
    return (torch.rand(x.shape, generator=generator, device=x.device) >= p).to(x.dtype)


def dropout_direct(x: torch.Tensor, p: float = 0.5, training: bool = True,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Direct dropout（直接随机失活）: ``x * mask`` in training, ``x * (1 - p)`` at test time.

    Each unit is kept with probability ``1 - p``, so the expected training output is
    ``(1 - p) x``; multiplying by ``1 - p`` at test time matches that expectation.

    Args:
        x: activations of any shape.
        p: drop probability in ``[0, 1)``.
        training: draw a mask (True) or scale deterministically (False).
        generator: optional random generator for the mask.

    Returns:
        A tensor of the same shape as ``x``.
    """
    x, p = _check_tensor(x), _check_p(p)
    if not training:
        return x * (1.0 - p)
    return x * _keep_mask(x, p, generator)


def dropout_inverted(x: torch.Tensor, p: float = 0.5, training: bool = True,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Inverted dropout（反向随机失活）: ``x * mask / (1 - p)`` in training, ``x`` at test time.

    The rescaling moves the ``1 - p`` factor to training time, so the expected training output
    is ``x`` and inference needs no change; this is ``torch.nn.functional.dropout``.

    Args and returns as :func:`dropout_direct`.
    """
    x, p = _check_tensor(x), _check_p(p)
    if not training:
        return x
    return x * _keep_mask(x, p, generator) / (1.0 - p)


class DirectDropout(nn.Module):
    """Module form of :func:`dropout_direct`; follows ``model.train()`` / ``model.eval()``."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = _check_p(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout_direct(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class InvertedDropout(nn.Module):
    """Module form of :func:`dropout_inverted` (the semantics of ``nn.Dropout``)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = _check_p(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout_inverted(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class BatchNorm(nn.Module):
    """Batch normalisation（批归一化）from scratch, with running statistics.

    Training mode, per channel ``c`` over the batch (and spatial) axes:

    .. math::
        \\mu_B = \\mathrm{mean}(x), \\quad \\sigma_B^2 = \\mathrm{mean}((x-\\mu_B)^2), \\quad
        y = \\gamma \\frac{x - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}} + \\beta

    and the running estimates move towards the batch: ``running = (1 - m) running + m stat``,
    with the *unbiased* variance ``sigma_B^2 * n / (n - 1)`` (as torch does). Eval mode uses
    the running mean and variance instead of the batch's, so an output does not depend on the
    other samples in its batch.

    Args:
        num_features: number of channels ``C``.
        eps: added to the variance for stability.
        momentum: weight ``m`` of the new batch in the running averages; ``None`` gives a
            cumulative average over all batches seen (torch's convention).
        affine: learn ``gamma`` (weight, init 1) and ``beta`` (bias, init 0).

    Shapes: input ``(N, C)``, ``(N, C, L)`` or ``(N, C, H, W)``; output the same.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True):
        super().__init__()
        check_positive_int("num_features", num_features)
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1] or None, got {momentum}")
        if eps < 0:
            raise ValueError(f"eps must be >= 0, got {eps}")
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features))
            self.bias = nn.Parameter(torch.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_tensor(x)
        if x.dim() not in (2, 3, 4) or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm({self.num_features}) expects input (N, {self.num_features}), (N, {self.num_features}, L) "
                f"or (N, {self.num_features}, H, W), got {tuple(x.shape)}"
            )
        axes = [0] + list(range(2, x.dim()))  # every axis except the channel axis
        shape = [1, -1] + [1] * (x.dim() - 2)  # broadcast (C,) over (N, C, ...)
        if self.training:
            n = x.numel() // x.shape[1]  # values per channel
            if n < 2:
                raise ValueError(f"BatchNorm in training mode needs more than 1 value per channel, got input {tuple(x.shape)}")
            mean = x.mean(dim=axes)  # (C,)
            var = x.var(dim=axes, unbiased=False)  # (C,) biased: used to normalise
            with torch.no_grad():
                self.num_batches_tracked += 1
                m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
                self.running_var.mul_(1 - m).add_(var.detach() * n / (n - 1), alpha=m)  # unbiased estimate
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + self.eps)
        if self.affine:
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


def random_shift(images: torch.Tensor, max_shift: int = 1, padding_mode: str = "replicate", fill: float = 0.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Translate each image by a random whole number of pixels in ``[-max_shift, max_shift]`` per axis.

    Implemented as pad-then-crop (the "random crop with padding" of AlexNet-style augmentation):
    pad every side by ``max_shift`` and cut an ``H x W`` window at a random offset.

    Args:
        images: ``(C, H, W)`` for one image or ``(N, C, H, W)`` for a batch (one shift per image).
        max_shift: largest shift in pixels, ``>= 0``.
        padding_mode: ``"replicate"`` repeats the border pixels (good for standardised images
            whose background is not 0) or ``"constant"`` fills with ``fill``.
        fill: the value of the new pixels when ``padding_mode="constant"``.
        generator: optional random generator.

    Returns:
        Shifted images of the same shape and dtype.
    """
    images = _check_tensor(images, "images")
    if images.dim() not in (3, 4):
        raise ValueError(f"random_shift expects images (C, H, W) or (N, C, H, W), got shape {tuple(images.shape)}")
    check_positive_int("max_shift", max_shift, minimum=0)
    if padding_mode not in ("replicate", "constant"):
        raise ValueError(f"padding_mode must be 'replicate' or 'constant', got {padding_mode!r}")
    single = images.dim() == 3
    batch = images.unsqueeze(0) if single else images  # (N, C, H, W)
    if max_shift == 0:
        return images.clone()
    n, _, h, w = batch.shape
    s = max_shift
    if padding_mode == "constant":
        padded = F.pad(batch, (s, s, s, s), mode="constant", value=fill)
    else:
        padded = F.pad(batch, (s, s, s, s), mode="replicate")  # (N, C, H + 2s, W + 2s)
    offsets = torch.randint(0, 2 * s + 1, (n, 2), generator=generator)  # (N, 2): row and column offsets
    out = torch.stack([padded[i, :, r : r + h, c : c + w] for i, (r, c) in enumerate(offsets.tolist())])
    return out[0] if single else out


class RandomShift(nn.Module):
    """:func:`random_shift` as a module: shifts in training mode, identity in eval mode.

    Usable as the first layer of a model (then only training batches are augmented) or as
    the ``augment`` transform of :func:`dlbook.data.digits_loaders` (one ``(1, H, W)`` image).
    A flat input ``(N, H*W)`` is accepted when ``image_size=(H, W)`` is given.
    """

    def __init__(self, max_shift: int = 1, padding_mode: str = "replicate", fill: float = 0.0,
                 image_size: tuple[int, int] | None = None):
        super().__init__()
        random_shift(torch.zeros(1, 1, 1), max_shift, padding_mode, fill)  # validate the arguments now
        self.max_shift, self.padding_mode, self.fill, self.image_size = max_shift, padding_mode, fill, image_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        if self.image_size is not None and x.dim() == 2:
            h, w = self.image_size
            if x.shape[1] != h * w:
                raise ValueError(f"RandomShift with image_size {(h, w)} expects flat input (N, {h * w}), got {tuple(x.shape)}")
            images = x.reshape(-1, 1, h, w)  # (N, 1, H, W)
            return random_shift(images, self.max_shift, self.padding_mode, self.fill).reshape(x.shape)
        return random_shift(x, self.max_shift, self.padding_mode, self.fill)

    def extra_repr(self) -> str:
        return f"max_shift={self.max_shift}, padding_mode={self.padding_mode!r}"
