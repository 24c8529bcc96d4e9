"""GoogLeNet / Inception v1 (Szegedy et al. 2015): the Inception module and the network table."""

from __future__ import annotations

import torch
from torch import nn

from .common import ImageClassifier

__all__ = ["Inception", "GOOGLENET_TABLE", "googlenet"]


class _ConvReLU(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, padding: int = 0):
        super().__init__(nn.Conv2d(cin, cout, k, stride, padding), nn.ReLU(inplace=True))


class Inception(nn.Module):
    """The Inception module (v1) of Szegedy et al. (2015): four parallel branches, concatenated.

    Branches: 1x1; 1x1 reduce -> 3x3; 1x1 reduce -> 5x5; 3x3/1 max pool -> 1x1 projection.
    With ``reduce=False`` it is the paper's "naive" module: the 3x3 and 5x5 convolutions see
    all input channels and the pooled input is passed on unprojected.

    Args:
        in_channels: input channels.
        c1: channels of the 1x1 branch.
        c3r, c3: reduction and output channels of the 3x3 branch.
        c5r, c5: reduction and output channels of the 5x5 branch.
        pool_proj: channels of the projection after pooling.
        reduce: use the 1x1 reductions and projection.

    Shapes:
        ``(B, in_channels, H, W) -> (B, out_channels, H, W)`` with
        ``out_channels = c1 + c3 + c5 + pool_proj`` (``+ in_channels`` instead of
        ``pool_proj`` when not reducing).
    """

    def __init__(self, in_channels: int, c1: int, c3r: int, c3: int, c5r: int, c5: int, pool_proj: int,
                 reduce: bool = True):
        super().__init__()
        self.in_channels = in_channels
        self.b1 = _ConvReLU(in_channels, c1, 1)
        if reduce:
            self.b3 = nn.Sequential(_ConvReLU(in_channels, c3r, 1), _ConvReLU(c3r, c3, 3, padding=1))
            self.b5 = nn.Sequential(_ConvReLU(in_channels, c5r, 1), _ConvReLU(c5r, c5, 5, padding=2))
            self.bp = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), _ConvReLU(in_channels, pool_proj, 1))
            self.out_channels = c1 + c3 + c5 + pool_proj
        else:
            self.b3 = _ConvReLU(in_channels, c3, 3, padding=1)
            self.b5 = _ConvReLU(in_channels, c5, 5, padding=2)
            self.bp = nn.MaxPool2d(3, 1, padding=1)
            self.out_channels = c1 + c3 + c5 + in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"Inception expects (B, {self.in_channels}, H, W), got {tuple(x.shape)}")
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], dim=1)  # (B, out, H, W)


# Table 1 of Szegedy et al. (2015): name -> (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj);
# "maxpool" rows are the 3x3/2 poolings between the stages.
GOOGLENET_TABLE: list[tuple[str, tuple[int, ...] | None]] = [
    ("3a", (64, 96, 128, 16, 32, 32)), ("3b", (128, 128, 192, 32, 96, 64)), ("maxpool", None),
    ("4a", (192, 96, 208, 16, 48, 64)), ("4b", (160, 112, 224, 24, 64, 64)), ("4c", (128, 128, 256, 24, 64, 64)),
    ("4d", (112, 144, 288, 32, 64, 64)), ("4e", (256, 160, 320, 32, 128, 128)), ("maxpool", None),
    ("5a", (256, 160, 320, 32, 128, 128)), ("5b", (384, 192, 384, 48, 128, 128)),
]


def googlenet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.4, lrn: bool = True) -> ImageClassifier:
    """GoogLeNet (Inception v1) as in Table 1 of Szegedy et al. (2015), without the two
    auxiliary classifiers (they only exist during training).

    Returns:
        An :class:`ImageClassifier` for ``(B, in_channels, H, W)``, H, W >= 32 (224 in the
        paper: the trunk divides the side by 32 before global average pooling).
    """
    stem: list[nn.Module] = [
        _ConvReLU(in_channels, 64, 7, 2, 3), nn.MaxPool2d(3, 2, ceil_mode=True),  # (B, 64, 56, 56) at 224
    ]
    if lrn:
        stem.append(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0))
    stem += [_ConvReLU(64, 64, 1), _ConvReLU(64, 192, 3, padding=1)]
    if lrn:
        stem.append(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0))
    stem.append(nn.MaxPool2d(3, 2, ceil_mode=True))  # (B, 192, 28, 28) at 224
    named: dict[str, nn.Module] = {"stem": nn.Sequential(*stem)}
    c, pools = 192, 0
    for name, row in GOOGLENET_TABLE:
        if row is None:
            pools += 1
            named[f"pool{pools + 2}"] = nn.MaxPool2d(3, 2, ceil_mode=True)
        else:
            block = Inception(c, *row)
            named[f"inception{name}"] = block
            c = block.out_channels
    classifier = nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(c, num_classes)  # (B, 1024) -> (B, K)
    )
    from collections import OrderedDict

    return ImageClassifier(nn.Sequential(OrderedDict(named)), classifier, in_channels, min_size=32, name="googlenet")
