"""The six classic networks at digit size, as one table of builders (chapter 3's comparison).

Each entry is a thin builder of a small version of a classic, for the scikit-learn digits: the
networks with a fixed-size fully connected head (LeNet-5, AlexNet) read the digits upsampled to
32x32, the others read the native 8x8 images. The same table drives the notebook's comparison
and ``benchmarks/bench_cnn_classics.py``, so the timings there are of the very models trained.

References: the papers of :mod:`dlbook.cnn` (LeCun et al. 1998, Krizhevsky et al. 2012, Simonyan &
Zisserman 2015, Szegedy et al. 2015, He et al. 2016, Huang et al. 2017).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from torch import nn

from .alexnet import alexnet
from .common import ImageClassifier
from .densenet import densenet
from .googlenet import Inception
from .lenet import lenet5
from .resnet import small_resnet

__all__ = ["DigitModel", "DIGIT_CLASSICS", "small_vgg", "small_googlenet"]


class DigitModel(NamedTuple):
    """A builder and the side of the (square, one-channel) digit images it reads."""

    build: Callable[[], nn.Module]
    image_size: int


def small_vgg(num_classes: int = 10, in_channels: int = 1, widths: tuple[int, ...] = (16, 32), hidden: int = 64,
              dropout: float = 0.3) -> ImageClassifier:
    """VGG's rules at 8x8 (Simonyan & Zisserman 2015): per stage two 3x3 convolutions (padding 1)
    with ReLU and one 2x2 max pooling, then two fully connected layers.

    Shapes:
        ``(B, in_channels, 8, 8) -> (B, num_classes)``; two stages leave ``widths[-1] x 2 x 2``.
    """
    layers: list[nn.Module] = []
    c = in_channels
    for w in widths:
        layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(w, w, 3, padding=1),
                   nn.ReLU(inplace=True), nn.MaxPool2d(2, 2)]
        c = w
    side = 8 // 2 ** len(widths)
    classifier = nn.Sequential(
        nn.Flatten(),  # (B, c * side * side)
        nn.Linear(c * side * side, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(hidden, num_classes),
    )
    return ImageClassifier(nn.Sequential(*layers), classifier, in_channels, 8, name="small_vgg")


def small_googlenet(num_classes: int = 10, in_channels: int = 1) -> ImageClassifier:
    """A 3x3 stem and two Inception modules (Szegedy et al. 2015) with a 2x2 max pooling between
    them, then global average pooling and one linear layer.

    Shapes:
        ``(B, in_channels, H, W) -> (B, num_classes)`` for H, W >= 2 (8x8 digits).
    """
    a = Inception(16, 8, 8, 16, 4, 8, 8)  # 16 -> 40 channels
    b = Inception(a.out_channels, 16, 16, 24, 4, 8, 8)  # 40 -> 56 channels
    features = nn.Sequential(nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(inplace=True), a, nn.MaxPool2d(2, 2), b)
    classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(b.out_channels, num_classes))
    return ImageClassifier(features, classifier, in_channels, min_size=2, name="small_googlenet")


DIGIT_CLASSICS: dict[str, DigitModel] = {
    "LeNet-5": DigitModel(lambda: lenet5("relu", "max"), 32),
    "AlexNet": DigitModel(lambda: alexnet(num_classes=10, small=True, dropout=0.3), 32),
    "VGG": DigitModel(small_vgg, 8),
    "GoogLeNet": DigitModel(small_googlenet, 8),
    "ResNet-8": DigitModel(lambda: small_resnet(8, shortcut="pad", width=8), 8),
    "DenseNet": DigitModel(lambda: densenet(8, (2, 2), 16, num_classes=10, in_channels=1, small=True), 8),
}
