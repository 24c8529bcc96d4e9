"""DCGAN's generator and discriminator, sized for small images, optionally conditioned on a class.

The architecture rules of Radford, Metz and Chintala (2016), "Unsupervised Representation Learning
with Deep Convolutional Generative Adversarial Networks", ICLR, section 3:

* no pooling: strided convolutions in D, transposed (fractionally strided) convolutions in G;
* no fully connected hidden layers;
* batch norm in both networks, except G's output layer and D's input layer;
* ReLU in G with tanh at its output, LeakyReLU (slope 0.2) in D.

The conditional variant follows Mirza and Osindero (2014), "Conditional Generative Adversarial
Nets": the one-hot class is appended to G's latent vector and, as constant maps, to D's input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SUPPORTED_SIZES", "DCGANGenerator", "DCGANDiscriminator", "dcgan_generator", "dcgan_discriminator"]

SUPPORTED_SIZES = (8, 16, 32, 64)


def _check_size(image_size: int) -> int:
    if image_size not in SUPPORTED_SIZES:
        raise ValueError(
            f"image_size must be one of {SUPPORTED_SIZES} (a 4x4 start doubled by each block), got {image_size!r}"
        )
    return image_size.bit_length() - 3  # number of stride-2 blocks from/to 4x4: log2(size / 4)


def _check_positive(name: str, v: int, minimum: int = 1) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {v!r}")


def _one_hot(labels: torch.Tensor | None, num_classes: int, batch: int, who: str) -> torch.Tensor | None:
    if num_classes == 0:
        if labels is not None:
            raise ValueError(f"{who} is unconditional (num_classes=0) but got labels")
        return None
    if labels is None:
        raise ValueError(f"{who} is conditional on {num_classes} classes: pass labels of shape ({batch},)")
    if labels.shape != (batch,):
        raise ValueError(f"{who} expects labels of shape ({batch},), got {tuple(labels.shape)}")
    if labels.dtype not in (torch.int64, torch.int32) or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"{who} expects integer labels in [0, {num_classes}), got {labels.dtype} {labels.tolist()[:5]}...")
    return F.one_hot(labels.long(), num_classes).float()  # (B, num_classes)


class DCGANGenerator(nn.Module):
    """``z (B, latent_dim)`` [and labels ``(B,)``] ``-> images (B, channels, S, S)`` in ``[-1, 1]``.

    A transposed convolution (kernel 4, stride 1, no padding) turns the latent vector, seen as a
    ``1x1`` map, into ``4x4`` maps; each further block (kernel 4, stride 2, padding 1) doubles the
    side, halving the channels, until the last one outputs ``channels`` maps through tanh.

    Args:
        latent_dim: size of z.
        image_size: side S, one of :data:`SUPPORTED_SIZES`.
        channels: image channels.
        width: feature maps of the last hidden block (the first has ``width * 2**(blocks-1)``).
        num_classes: > 0 for a conditional generator.
        batch_norm: batch norm after every transposed convolution but the last (``False``: none, and
            those convolutions get a bias instead, as in the WGAN paper's "generator without batch
            normalization", Arjovsky et al. 2017, figure 6).
    """

    def __init__(self, latent_dim: int = 32, image_size: int = 16, channels: int = 1, width: int = 32, num_classes: int = 0,
                 batch_norm: bool = True):
        super().__init__()
        blocks = _check_size(image_size)
        for name, v in (("latent_dim", latent_dim), ("channels", channels), ("width", width)):
            _check_positive(name, v)
        _check_positive("num_classes", num_classes, minimum=0)
        self.latent_dim, self.image_size, self.channels, self.num_classes = latent_dim, image_size, channels, num_classes
        widths = [width * 2 ** (blocks - 1 - i) for i in range(blocks)]  # e.g. [64, 32] for 16x16
        def block(a: int, b: int, *conv_args: int) -> list[nn.Module]:
            conv = nn.ConvTranspose2d(a, b, 4, *conv_args, bias=not batch_norm)
            return [conv, nn.BatchNorm2d(b), nn.ReLU()] if batch_norm else [conv, nn.ReLU()]

        layers = block(latent_dim + num_classes, widths[0], 1, 0)  # (B, w0, 4, 4)
        for a, b in zip(widths[:-1], widths[1:]):
            layers += block(a, b, 2, 1)  # side x 2
        layers += [nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1), nn.Tanh()]  # no batch norm at the output
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"generator expects z of shape (B, {self.latent_dim}), got {got}")
        onehot = _one_hot(labels, self.num_classes, z.shape[0], "generator")
        if onehot is not None:
            z = torch.cat([z, onehot.to(z)], dim=1)  # (B, latent_dim + num_classes)
        return self.net(z.reshape(*z.shape, 1, 1))  # (B, latent, 1, 1) -> (B, channels, S, S)


class DCGANDiscriminator(nn.Module):
    """``images (B, channels, S, S)`` [and labels ``(B,)``] ``-> scores (B, 1)``.

    Stride-2 convolutions (kernel 4, padding 1) halve the side down to ``4x4``; a final ``4x4``
    convolution gives one score. No sigmoid: the score is a logit for a GAN (the loss applies the
    sigmoid) and the critic's value for a WGAN.

    Args:
        image_size: side S, one of :data:`SUPPORTED_SIZES`.
        channels: image channels.
        width: feature maps of the first block (doubling each block).
        num_classes: > 0 for a conditional discriminator.
        batch_norm: batch norm after every convolution but the first and the last.
    """

    def __init__(self, image_size: int = 16, channels: int = 1, width: int = 32, num_classes: int = 0, batch_norm: bool = True):
        super().__init__()
        blocks = _check_size(image_size)
        for name, v in (("channels", channels), ("width", width)):
            _check_positive(name, v)
        _check_positive("num_classes", num_classes, minimum=0)
        self.image_size, self.channels, self.num_classes = image_size, channels, num_classes
        widths = [width * 2**i for i in range(blocks)]  # e.g. [32, 64] for 16x16
        layers: list[nn.Module] = [nn.Conv2d(channels + num_classes, widths[0], 4, 2, 1), nn.LeakyReLU(0.2)]  # no BN at the input
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv2d(a, b, 4, 2, 1, bias=not batch_norm)]  # side / 2
            if batch_norm:
                layers.append(nn.BatchNorm2d(b))
            layers.append(nn.LeakyReLU(0.2))
        layers += [nn.Conv2d(widths[-1], 1, 4, 1, 0), nn.Flatten()]  # (B, 1, 1, 1) -> (B, 1)
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if not isinstance(x, torch.Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != expected:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"discriminator expects images of shape (B, {', '.join(map(str, expected))}), got {got}")
        onehot = _one_hot(labels, self.num_classes, x.shape[0], "discriminator")
        if onehot is not None:
            maps = onehot.to(x)[:, :, None, None].expand(-1, -1, self.image_size, self.image_size)  # (B, classes, S, S)
            x = torch.cat([x, maps], dim=1)  # (B, channels + classes, S, S)
        return self.net(x)


def dcgan_generator(latent_dim: int = 32, image_size: int = 16, channels: int = 1, width: int = 32, num_classes: int = 0,
                    batch_norm: bool = True) -> DCGANGenerator:
    """Build a :class:`DCGANGenerator` with DCGAN's initialisation (weights from N(0, 0.02))."""
    return _init(DCGANGenerator(latent_dim, image_size, channels, width, num_classes, batch_norm))


def dcgan_discriminator(image_size: int = 16, channels: int = 1, width: int = 32, num_classes: int = 0, batch_norm: bool = True) -> DCGANDiscriminator:
    """Build a :class:`DCGANDiscriminator` with DCGAN's initialisation (weights from N(0, 0.02))."""
    return _init(DCGANDiscriminator(image_size, channels, width, num_classes, batch_norm))


def _init(model: nn.Module) -> nn.Module:
    # Radford et al. (2016), section 4: all weights from a zero-centred normal with std 0.02.
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return model
