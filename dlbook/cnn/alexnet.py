"""AlexNet (Krizhevsky et al. 2012) as a configuration table and one builder."""

from __future__ import annotations

from torch import nn

from .common import ImageClassifier

__all__ = ["ALEXNET_CONFIGS", "alexnet"]


ALEXNET_CONFIGS: dict[str, dict] = {
    # Krizhevsky et al. 2012: two GPUs, so conv2/4/5 only see their own GPU's half (groups=2).
    "paper": dict(
        image_size=227,
        convs=[(96, 11, 4, 0, 1, True, True), (256, 5, 1, 2, 2, True, True), (384, 3, 1, 1, 1, False, False),
               (384, 3, 1, 1, 2, False, False), (256, 3, 1, 1, 2, False, True)],
        hidden=4096,
    ),
    # The single-GPU "one weird trick" widths used by torchvision (Krizhevsky 2014).
    "torchvision": dict(
        image_size=224,
        convs=[(64, 11, 4, 2, 1, False, True), (192, 5, 1, 2, 1, False, True), (384, 3, 1, 1, 1, False, False),
               (256, 3, 1, 1, 1, False, False), (256, 3, 1, 1, 1, False, True)],
        hidden=4096,
    ),
    # A digit-sized AlexNet for 32x32 grey images: same pattern, ~1/6 of the widths.
    "small": dict(
        image_size=32,
        convs=[(16, 5, 1, 2, 1, False, True), (32, 3, 1, 1, 1, False, True), (48, 3, 1, 1, 1, False, False),
               (48, 3, 1, 1, 1, False, False), (32, 3, 1, 1, 1, False, True)],
        hidden=128,
    ),
}


def _conv_out(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def alexnet(
    num_classes: int = 1000,
    small: bool = False,
    config: str | None = None,
    in_channels: int | None = None,
    dropout: float = 0.5,
    lrn: bool = True,
    image_size: int | None = None,
) -> ImageClassifier:
    """AlexNet (Krizhevsky et al. 2012): five convolutions, overlapping 3x3/2 max pooling,
    ReLU, local response normalisation (LRN) and two dropout-regularised 4096-unit layers.

    Args:
        num_classes: outputs.
        small: the digit-sized variant (``config="small"``, one input channel, 32x32).
        config: a key of :data:`ALEXNET_CONFIGS` ("paper": 227x227, 60,965,224 parameters;
            "torchvision": 224x224, 61,100,840 parameters); overrides ``small``.
        in_channels: defaults to 1 for the small variant, 3 otherwise.
        dropout: dropout probability before the two hidden fully connected layers.
        lrn: keep the LRN layers of configurations that have them.
        image_size: the input side, if not the configuration's ``image_size`` (the first fully
            connected layer is sized for it); e.g. 16 runs the small variant on the 8x8 digits
            upsampled twice instead of four times, for about a fifth of the multiply-adds.

    Returns:
        An :class:`ImageClassifier` for ``(B, in_channels, S, S)`` with S ``image_size`` (by default the
        configuration's).
    """
    config = config or ("small" if small else "paper")
    if config not in ALEXNET_CONFIGS:
        raise ValueError(f"config must be one of {sorted(ALEXNET_CONFIGS)}, got {config!r}")
    cfg = ALEXNET_CONFIGS[config]
    in_channels = in_channels or (1 if config == "small" else 3)
    image_size = cfg["image_size"] if image_size is None else image_size
    if not isinstance(image_size, int) or isinstance(image_size, bool) or image_size < 1:
        raise ValueError(f"image_size must be a positive int, got {image_size!r}")
    layers: list[nn.Module] = []
    c, size = in_channels, image_size
    for out, k, s, p, g, use_lrn, pool in cfg["convs"]:
        layers += [nn.Conv2d(c, out, k, s, p, groups=g), nn.ReLU(inplace=True)]
        size = _conv_out(size, k, s, p)
        if use_lrn and lrn:
            # The paper divides by (k + alpha * sum a^2)^beta with alpha = 1e-4 over n = 5 maps;
            # torch divides alpha by n, so alpha = 5 * 1e-4 reproduces the paper's formula.
            layers.append(nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0))
        if pool:
            layers.append(nn.MaxPool2d(3, 2))  # overlapping: window 3 > stride 2
            size = _conv_out(size, 3, 2)
        c = out
    if size < 1:
        raise ValueError(f"image_size {image_size} is too small for the {config!r} configuration: its feature maps vanish")
    hidden = cfg["hidden"]
    classifier = nn.Sequential(
        nn.Flatten(),  # (B, c * size * size)
        nn.Dropout(dropout), nn.Linear(c * size * size, hidden), nn.ReLU(inplace=True),
        nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
        nn.Linear(hidden, num_classes),
    )
    return ImageClassifier(nn.Sequential(*layers), classifier, in_channels, image_size, name=f"alexnet({config})")
