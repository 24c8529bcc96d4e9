"""ResNet (He et al. 2016): basic and bottleneck residual blocks, stage tables, builders."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .common import ImageClassifier

__all__ = ["BasicBlock", "Bottleneck", "RESNET_STAGES", "resnet", "small_resnet"]


class _PadShortcut(nn.Module):
    """He et al.'s option (A) shortcut: subsample by ``stride``, zero-pad the new channels.

    It has no parameters, so a residual network and its plain twin have the same count.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.extra, self.stride = out_channels - in_channels, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # (B, C, H/s, W/s)
        return F.pad(x, (0, 0, 0, 0, 0, self.extra))  # (B, C + extra, H/s, W/s)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm: ``y = ReLU(F(x) + shortcut(x))`` (He et al. 2016).

    Args:
        in_channels, out_channels: channels in and out.
        stride: stride of the first convolution (2 halves the side).
        shortcut: "projection" (1x1 conv + BN where the shape changes, option B, as
            torchvision), "pad" (parameter-free option A) or "none" (a plain block: no
            shortcut at all, for the degradation experiment).

    Shapes:
        ``(B, in_channels, H, W) -> (B, out_channels, H / stride, W / stride)``.
    """

    expansion = 1

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, shortcut: str = "projection"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = _shortcut(in_channels, out_channels, stride, shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))  # F(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)  # H(x) = F(x) + x
        return F.relu(out)


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 -> 1x1 expand (x4), with batch norm and a shortcut (He et al. 2016).

    Args:
        in_channels: channels in.
        width: channels of the inner 3x3 convolution; the block outputs ``4 * width``.
        stride: stride of the 3x3 convolution (torchvision's "v1.5" placement).
        shortcut: as in :class:`BasicBlock`.
    """

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1, shortcut: str = "projection"):
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.shortcut = _shortcut(in_channels, out_channels, stride, shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))  # F(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


def _shortcut(cin: int, cout: int, stride: int, kind: str) -> nn.Module | None:
    if kind == "none":
        return None
    if stride == 1 and cin == cout:
        return nn.Identity()
    if kind == "projection":
        return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    if kind == "pad":
        return _PadShortcut(cin, cout, stride)
    raise ValueError(f"shortcut must be 'projection', 'pad' or 'none', got {kind!r}")


# depth -> (block, blocks per stage); Table 1 of He et al. (2016).
RESNET_STAGES: dict[int, tuple[type[nn.Module], tuple[int, int, int, int]]] = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}


def resnet(depth: int = 18, num_classes: int = 1000, in_channels: int = 3) -> ImageClassifier:
    """An ImageNet ResNet from :data:`RESNET_STAGES` (He et al. 2016).

    Stem 7x7/2 conv + 3x3/2 max pool, four stages of 64/128/256/512 base width (the first
    keeps the side, the others halve it), global average pooling and one linear layer.

    Returns:
        An :class:`ImageClassifier` for ``(B, in_channels, H, W)``, H, W >= 32.
    """
    if depth not in RESNET_STAGES:
        raise ValueError(f"depth must be one of {sorted(RESNET_STAGES)}, got {depth!r}")
    block, counts = RESNET_STAGES[depth]
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
        nn.MaxPool2d(3, 2, 1),  # (B, 64, 56, 56) at 224
    ]
    c = 64
    for stage, (width, n) in enumerate(zip((64, 128, 256, 512), counts)):
        blocks = []
        for i in range(n):
            stride = 2 if (i == 0 and stage > 0) else 1
            blocks.append(block(c, width, stride))
            c = width * block.expansion
        layers.append(nn.Sequential(*blocks))
    classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes))
    return ImageClassifier(nn.Sequential(*layers), classifier, in_channels, min_size=32, name=f"resnet{depth}")


def small_resnet(
    depth: int = 20,
    shortcut: str = "pad",
    width: int = 16,
    num_classes: int = 10,
    in_channels: int = 1,
) -> ImageClassifier:
    """The CIFAR-style ResNet of He et al. (2016, section 4.2), sized for small images.

    A 3x3 conv, three stages of ``n`` basic blocks with ``width``, ``2 width``, ``4 width``
    channels (the last two halve the side), global average pooling, a linear layer:
    ``depth = 6 n + 2`` weighted layers. ``shortcut="none"`` gives the plain network of the
    same depth and (with the parameter-free "pad" shortcut) exactly the same parameters.

    Returns:
        An :class:`ImageClassifier` for ``(B, in_channels, H, W)`` with H, W >= 4.
    """
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 56, ...), got {depth}")
    n = (depth - 2) // 6
    layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
    c = width
    for stage in range(3):
        out = width * 2**stage
        blocks = [BasicBlock(c if i == 0 else out, out, 2 if (i == 0 and stage > 0) else 1, shortcut) for i in range(n)]
        layers.append(nn.Sequential(*blocks))
        c = out
    classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes))
    kind = "plain" if shortcut == "none" else "resnet"
    return ImageClassifier(nn.Sequential(*layers), classifier, in_channels, min_size=4, name=f"{kind}{depth}")
