"""DenseNet (Huang et al. 2017): dense layers and blocks, transitions, builders."""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .common import ImageClassifier

__all__ = ["DenseLayer", "DenseBlock", "Transition", "DENSENET_CONFIGS", "densenet", "densenet121"]


class DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv (``bn_size * growth`` maps) then BN-ReLU-3x3 conv (``growth`` maps).

    Shapes:
        ``(B, C, H, W) -> (B, growth, H, W)``: only the new maps; :class:`DenseBlock`
        concatenates them to its running input.
    """

    def __init__(self, in_channels: int, growth: int, bn_size: int = 4):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.conv1 = nn.Conv2d(in_channels, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.relu(self.norm1(x)))
        return self.conv2(F.relu(self.norm2(out)))


class DenseBlock(nn.Module):
    """``num_layers`` dense layers, each fed the concatenation of all earlier maps
    (Huang et al. 2017): layer ``l`` sees ``in_channels + l * growth`` channels.

    Shapes:
        ``(B, C, H, W) -> (B, C + num_layers * growth, H, W)``.
    """

    def __init__(self, num_layers: int, in_channels: int, growth: int, bn_size: int = 4):
        super().__init__()
        self.layers = nn.ModuleList(DenseLayer(in_channels + i * growth, growth, bn_size) for i in range(num_layers))
        self.out_channels = in_channels + num_layers * growth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))  # input: (B, C + l * growth, H, W)
        return torch.cat(features, dim=1)


class Transition(nn.Sequential):
    """Between dense blocks: BN-ReLU-1x1 conv to ``out_channels`` (compression), 2x2 average pool.

    Shapes:
        ``(B, in_channels, H, W) -> (B, out_channels, H / 2, W / 2)``.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.BatchNorm2d(in_channels), nn.ReLU(), nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.AvgPool2d(2, 2),
        )


# name -> (growth rate, layers per block, initial features); Table 1 of Huang et al. (2017).
DENSENET_CONFIGS: dict[str, tuple[int, tuple[int, ...], int]] = {
    "densenet121": (32, (6, 12, 24, 16), 64),
    "densenet169": (32, (6, 12, 32, 32), 64),
    "densenet201": (32, (6, 12, 48, 32), 64),
    "densenet161": (48, (6, 12, 36, 24), 96),
}


def densenet(
    growth: int = 32,
    block_config: Sequence[int] = (6, 12, 24, 16),
    init_features: int = 64,
    num_classes: int = 1000,
    in_channels: int = 3,
    compression: float = 0.5,
    bn_size: int = 4,
    small: bool = False,
) -> ImageClassifier:
    """A DenseNet-BC (Huang et al. 2017): dense blocks joined by compressing transitions.

    Args:
        growth: maps each dense layer adds (the growth rate k).
        block_config: dense layers per block.
        init_features: channels of the stem.
        compression: a transition keeps this share of its input channels.
        small: a 3x3 stem without pooling, for small images (otherwise 7x7/2 conv + 3x3/2 pool).

    Returns:
        An :class:`ImageClassifier` for ``(B, in_channels, H, W)``; H, W >= 32 for the
        ImageNet stem, >= ``2 ** (len(block_config) - 1)`` for the small one.
    """
    if small:
        layers: list[nn.Module] = [nn.Conv2d(in_channels, init_features, 3, padding=1, bias=False)]
        min_size = 2 ** (len(block_config) - 1)
    else:
        layers = [nn.Conv2d(in_channels, init_features, 7, 2, 3, bias=False), nn.BatchNorm2d(init_features),
                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
        min_size = 32
    c = init_features
    for i, n in enumerate(block_config):
        block = DenseBlock(n, c, growth, bn_size)
        layers.append(block)
        c = block.out_channels
        if i != len(block_config) - 1:
            out = int(math.floor(c * compression))
            layers.append(Transition(c, out))
            c = out
    layers += [nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
    classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes))
    return ImageClassifier(nn.Sequential(*layers), classifier, in_channels, min_size=min_size, name="densenet")


def densenet121(num_classes: int = 1000, in_channels: int = 3) -> ImageClassifier:
    """DenseNet-121: growth 32, blocks of 6/12/24/16 layers, 64 stem maps (7,978,856 parameters)."""
    growth, blocks, init = DENSENET_CONFIGS["densenet121"]
    model = densenet(growth, blocks, init, num_classes, in_channels)
    model.name = "densenet121"
    return model
