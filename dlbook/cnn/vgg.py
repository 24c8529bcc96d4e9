"""VGG configurations A-E (Simonyan & Zisserman 2015) as data driving one builder."""

from __future__ import annotations

from torch import nn

from .common import ImageClassifier

__all__ = ["VGG_CONFIGS", "vgg"]


_C = "conv3-"
VGG_CONFIGS: dict[str, list[str]] = {
    "A": [_C + "64", "maxpool", _C + "128", "maxpool", _C + "256", _C + "256", "maxpool",
          _C + "512", _C + "512", "maxpool", _C + "512", _C + "512", "maxpool"],
    "A-LRN": [_C + "64", "LRN", "maxpool", _C + "128", "maxpool", _C + "256", _C + "256", "maxpool",
              _C + "512", _C + "512", "maxpool", _C + "512", _C + "512", "maxpool"],
    "B": [_C + "64", _C + "64", "maxpool", _C + "128", _C + "128", "maxpool", _C + "256", _C + "256", "maxpool",
          _C + "512", _C + "512", "maxpool", _C + "512", _C + "512", "maxpool"],
    "C": [_C + "64", _C + "64", "maxpool", _C + "128", _C + "128", "maxpool",
          _C + "256", _C + "256", "conv1-256", "maxpool", _C + "512", _C + "512", "conv1-512", "maxpool",
          _C + "512", _C + "512", "conv1-512", "maxpool"],
    "D": [_C + "64", _C + "64", "maxpool", _C + "128", _C + "128", "maxpool",
          _C + "256", _C + "256", _C + "256", "maxpool", _C + "512", _C + "512", _C + "512", "maxpool",
          _C + "512", _C + "512", _C + "512", "maxpool"],
    "E": [_C + "64", _C + "64", "maxpool", _C + "128", _C + "128", "maxpool",
          _C + "256", _C + "256", _C + "256", _C + "256", "maxpool",
          _C + "512", _C + "512", _C + "512", _C + "512", "maxpool",
          _C + "512", _C + "512", _C + "512", _C + "512", "maxpool"],
}
del _C


def vgg(
    config: str = "D",
    num_classes: int = 1000,
    in_channels: int = 3,
    image_size: int = 224,
    width: float = 1.0,
    hidden: int = 4096,
    batch_norm: bool = False,
    dropout: float = 0.5,
) -> ImageClassifier:
    """A VGG network built from one column of :data:`VGG_CONFIGS` (Simonyan & Zisserman 2015).

    Args:
        config: "A", "A-LRN", "B", "C", "D" (VGG-16) or "E" (VGG-19).
        num_classes: outputs.
        in_channels: input channels.
        image_size: input side; five 2x2 poolings divide it by 32, so it must be a
            multiple of 32 (224 gives the paper's 7x7x512 before the classifier).
        width: multiplier of every convolution's channels (1/8 for a digit-sized net).
        hidden: units of the two hidden fully connected layers.
        batch_norm: insert BatchNorm2d after each convolution (a later addition, not in the paper).
        dropout: dropout probability in the classifier.

    Returns:
        An :class:`ImageClassifier` for ``(B, in_channels, image_size, image_size)``.
    """
    if config not in VGG_CONFIGS:
        raise ValueError(f"config must be one of {sorted(VGG_CONFIGS)}, got {config!r}")
    if image_size < 32 or image_size % 32:
        raise ValueError(f"vgg needs an image_size that is a positive multiple of 32, got {image_size}")
    layers: list[nn.Module] = []
    c = in_channels
    for item in VGG_CONFIGS[config]:
        if item == "maxpool":
            layers.append(nn.MaxPool2d(2, 2))
        elif item == "LRN":
            layers.append(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0))
        else:
            kind, channels = item.split("-")
            k = int(kind.removeprefix("conv"))  # conv3 -> 3, conv1 -> 1
            out = max(1, round(int(channels) * width))
            layers.append(nn.Conv2d(c, out, k, padding=k // 2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(nn.ReLU(inplace=True))
            c = out
    side = image_size // 32
    classifier = nn.Sequential(
        nn.Flatten(),  # (B, c * side * side)
        nn.Linear(c * side * side, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
        nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    )
    return ImageClassifier(nn.Sequential(*layers), classifier, in_channels, image_size, name=f"vgg({config})")
