"""The classic convolutional networks as blocks + configuration tables + thin builders.

Every family is written the same way: the architecture lives in a table of data
(``ALEXNET_CONFIGS``, ``VGG_CONFIGS``, ``GOOGLENET_TABLE``, ``RESNET_STAGES``,
``DENSENET_CONFIGS``), small ``nn.Module`` blocks implement one unit of it, and a builder
turns a table row into a network. The full-size ImageNet builders match the published (and
torchvision's) parameter totals exactly; the ``small``/digit-sized variants are the ones the
chapter trains on the 8x8 (or upsampled) scikit-learn digits.

Every network returned by a builder is an :class:`ImageClassifier`, which checks its input
and fails with a message naming the size it expects (wrong channels, too small an image).
:func:`layer_table` traces one forward pass with hooks and lists each layer's output shape
and parameter count; run it on the ``meta`` device to trace ImageNet-sized models without
allocating their weights.

References:
    LeCun et al. 1998 (LeNet-5), Krizhevsky et al. 2012 (AlexNet), Simonyan & Zisserman 2015
    (VGG), Szegedy et al. 2015 (GoogLeNet), He et al. 2016 (ResNet), Huang et al. 2017
    (DenseNet).
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ImageClassifier",
    "LayerRow",
    "layer_table",
    "format_table",
    "count_params",
    "ScaledTanh",
    "Subsampling",
    "SparseConv2d",
    "RBFOutput",
    "LENET_C3_TABLE",
    "lenet5",
    "ALEXNET_CONFIGS",
    "alexnet",
    "VGG_CONFIGS",
    "vgg",
    "Inception",
    "GOOGLENET_TABLE",
    "googlenet",
    "BasicBlock",
    "Bottleneck",
    "RESNET_STAGES",
    "resnet",
    "small_resnet",
    "DenseLayer",
    "DenseBlock",
    "Transition",
    "DENSENET_CONFIGS",
    "densenet",
    "densenet121",
]


# --------------------------------------------------------------------------- common parts


class ImageClassifier(nn.Module):
    """``features`` then ``classifier``, with a check of the input's shape first.

    Args:
        features: the convolutional trunk, ``(B, C, H, W) -> (B, C', H', W')``.
        classifier: the head, ``(B, C', H', W') -> (B, num_classes)``.
        in_channels: channels the first layer expects.
        image_size: exact side the network needs (fully connected heads fix it), or ``None``.
        min_size: smallest side the network can take (global-pooling heads), used when
            ``image_size`` is ``None``.
        name: used in error messages, e.g. ``"vgg16"``.
    """

    def __init__(
        self,
        features: nn.Module,
        classifier: nn.Module,
        in_channels: int,
        image_size: int | None = None,
        min_size: int = 1,
        name: str = "network",
    ):
        super().__init__()
        self.features = features
        self.classifier = classifier
        self.in_channels = in_channels
        self.image_size = image_size
        self.min_size = min_size
        self.name = name

    def expected_shape(self) -> str:
        """The accepted input shape, in words."""
        if self.image_size is not None:
            return f"(B, {self.in_channels}, {self.image_size}, {self.image_size})"
        return f"(B, {self.in_channels}, H, W) with H, W >= {self.min_size}"

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ``ValueError`` naming the expected shape if ``x`` cannot go through."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{self.name} expects a tensor {self.expected_shape()}, got {type(x).__name__}")
        shape = tuple(x.shape)
        ok = x.dim() == 4 and shape[1] == self.in_channels
        if ok and self.image_size is not None:
            ok = shape[2] == shape[3] == self.image_size
        elif ok:
            ok = min(shape[2], shape[3]) >= self.min_size
        if not ok:
            raise ValueError(f"{self.name} expects input of shape {self.expected_shape()}, got {shape}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.classifier(self.features(x))


class LayerRow(NamedTuple):
    """One line of a layer table: qualified name, module type, output shape, parameters."""

    name: str
    kind: str
    output_shape: tuple[int, ...]
    params: int


def count_params(module: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable) parameters of ``module``; works on the ``meta`` device too."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def layer_table(model: nn.Module, input_shape: Sequence[int], depth: int | None = None) -> list[LayerRow]:
    """Trace one forward pass of a single input and list what each layer produces.

    Args:
        model: any module; it runs on the device of its parameters (use ``meta`` to trace
            ImageNet-sized models for free: shapes propagate, no arithmetic happens).
        input_shape: one input without the batch dimension, e.g. ``(3, 224, 224)``.
        depth: list modules at this nesting depth (1 = the model's children; 2 = their
            children, ...) plus shallower leaves; ``None`` lists every leaf module.

    Returns:
        One :class:`LayerRow` per listed module, in the order they ran; ``output_shape``
        excludes the batch dimension. Rows' ``params`` count each module's own parameters
        (with its children), so over a table at one depth they add up to the model's total.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"layer_table expects an nn.Module, got {type(model).__name__}")
    if len(input_shape) == 0 or any(int(s) <= 0 for s in input_shape):
        raise ValueError(f"input_shape must be positive sizes without the batch, got {tuple(input_shape)}")
    rows: list[LayerRow] = []
    hooks = []
    for name, module in model.named_modules():
        if module is model:
            continue
        level = name.count(".") + 1
        is_leaf = len(list(module.children())) == 0
        if depth is None:
            wanted = is_leaf
        else:
            wanted = level == depth or (level < depth and is_leaf)
        if not wanted:
            continue

        def hook(mod, inputs, output, name=name):
            out = output[0] if isinstance(output, (tuple, list)) else output
            rows.append(LayerRow(name, type(mod).__name__, tuple(out.shape[1:]), count_params(mod)))

        hooks.append(module.register_forward_hook(hook))
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, *[int(s) for s in input_shape], device=device))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    return rows


def format_table(rows: Sequence[LayerRow], total: int | None = None) -> str:
    """Rows of :func:`layer_table` as aligned text, with a total line."""
    lines = [f"{'layer':<22}{'type':<18}{'output shape':<20}{'params':>12}"]
    for r in rows:
        shape = " x ".join(str(s) for s in r.output_shape)
        lines.append(f"{r.name:<22}{r.kind:<18}{shape:<20}{r.params:>12,}")
    total = sum(r.params for r in rows) if total is None else total
    lines.append(f"{'total':<60}{total:>12,}")
    return "\n".join(lines)


def _activation(name: str) -> nn.Module:
    table = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "scaled_tanh": lambda: ScaledTanh()}
    if name not in table:
        raise ValueError(f"activation must be one of {sorted(table)}, got {name!r}")
    return table[name]()


def _pool(name: str, kernel: int = 2, stride: int = 2) -> nn.Module:
    if name == "avg":
        return nn.AvgPool2d(kernel, stride)
    if name == "max":
        return nn.MaxPool2d(kernel, stride)
    raise ValueError(f"pooling must be 'avg' or 'max', got {name!r}")


# --------------------------------------------------------------------------- LeNet-5


class ScaledTanh(nn.Module):
    """LeNet-5's squashing function ``f(a) = A tanh(S a)`` with A = 1.7159, S = 2/3.

    The constants make f(1) = 1 and f(-1) = -1 (LeCun et al. 1998, appendix A).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.7159 * torch.tanh(2.0 / 3.0 * x)


class Subsampling(nn.Module):
    """LeNet-5's S2/S4 layer: sum each 2x2 block, times a trainable coefficient, plus a bias.

    One coefficient and one bias per feature map, so ``2 * channels`` parameters: not the
    parameter-free average pooling of modern re-implementations.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), 0.25))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.avg_pool2d(x, 2) * 4  # (B, C, H/2, W/2): the sum of each 2x2 block
        return s * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


# Table I of LeCun et al. (1998): which S2 maps (rows 0-5) feed each C3 map (16 columns).
LENET_C3_TABLE: tuple[tuple[int, ...], ...] = tuple(
    [tuple((j + i) % 6 for i in range(3)) for j in range(6)]
    + [tuple((j + i) % 6 for i in range(4)) for j in range(6)]
    + [(0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5)]
)


class SparseConv2d(nn.Module):
    """A convolution where output map ``j`` only sees the input maps ``table[j]``.

    Only the connected kernels are parameters (LeNet-5's C3 breaks symmetry this way and
    has 1,516 parameters instead of 2,416).

    Args:
        table: for each output map, the indices of its input maps.
        in_channels: number of input maps.
        kernel_size: square kernel side.
    """

    def __init__(self, table: Sequence[Sequence[int]], in_channels: int, kernel_size: int):
        super().__init__()
        out_idx = [j for j, ins in enumerate(table) for _ in ins]
        in_idx = [i for ins in table for i in ins]
        if min(in_idx) < 0 or max(in_idx) >= in_channels:
            raise ValueError(f"table refers to input maps outside 0..{in_channels - 1}")
        self.register_buffer("out_idx", torch.tensor(out_idx), persistent=False)
        self.register_buffer("in_idx", torch.tensor(in_idx), persistent=False)
        self.out_channels, self.in_channels, self.kernel_size = len(table), in_channels, kernel_size
        fan_in = torch.tensor([len(t) * kernel_size**2 for t in table], dtype=torch.float32)[self.out_idx]
        bound = (1.0 / fan_in).sqrt().view(-1, 1, 1)
        self.weight = nn.Parameter((torch.rand(len(in_idx), kernel_size, kernel_size) * 2 - 1) * bound)
        self.bias = nn.Parameter(torch.zeros(len(table)))

    def full_weight(self) -> torch.Tensor:
        """The dense ``(out, in, k, k)`` kernel with zeros where there is no connection."""
        k = self.kernel_size
        w = self.weight.new_zeros(self.out_channels, self.in_channels, k, k)
        return w.index_put((self.out_idx, self.in_idx), self.weight)  # (out, in, k, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.full_weight(), self.bias)


class RBFOutput(nn.Module):
    """LeNet-5's output: score_k = -||x - c_k||^2 against fixed codes ``c_k`` of +-1.

    The paper drew the 84-dimensional codes as 7x12 bitmaps of the characters and kept them
    fixed; here they are seeded random +-1 vectors, stored as a buffer (not trained), so the
    highest score is the closest code and ``CrossEntropyLoss`` can be used on the scores.
    """

    def __init__(self, in_features: int = 84, num_classes: int = 10, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        codes = torch.randint(0, 2, (num_classes, in_features), generator=g).float() * 2 - 1
        self.register_buffer("codes", codes)  # (K, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        diff = x.unsqueeze(1) - self.codes.unsqueeze(0)  # (B, K, D)
        return -(diff**2).sum(-1)  # (B, K)


def lenet5(
    activation: str = "sigmoid",
    pooling: str = "avg",
    num_classes: int = 10,
    paper: bool = False,
    in_channels: int = 1,
) -> ImageClassifier:
    """LeNet-5 for 32x32 images (LeCun et al. 1998).

    Args:
        activation: "sigmoid", "tanh", "scaled_tanh" or "relu" after each hidden layer.
        pooling: "avg" or "max" 2x2 pooling (ignored when ``paper``).
        num_classes: outputs.
        paper: the 1998 network itself: scaled tanh, trainable subsampling (S2, S4), the
            sparse C3 table and a fixed RBF output; 60,000 trainable parameters. Otherwise
            the common modern reading: dense C3, parameter-free pooling and a linear output
            (61,706 parameters for 10 classes).
        in_channels: input channels (1 for grey images).

    Returns:
        An :class:`ImageClassifier` taking ``(B, in_channels, 32, 32)`` and returning
        ``(B, num_classes)``.
    """
    if paper:
        act = ScaledTanh
        features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5), act(),  # C1: (B, 6, 28, 28)
            Subsampling(6), act(),  # S2: (B, 6, 14, 14)
            SparseConv2d(LENET_C3_TABLE, 6, 5), act(),  # C3: (B, 16, 10, 10)
            Subsampling(16), act(),  # S4: (B, 16, 5, 5)
            nn.Conv2d(16, 120, 5), act(),  # C5: (B, 120, 1, 1)
        )
        classifier = nn.Sequential(nn.Flatten(), nn.Linear(120, 84), act(), RBFOutput(84, num_classes))
        return ImageClassifier(features, classifier, in_channels, image_size=32, name="lenet5(paper)")
    _activation(activation)  # validate names before building
    _pool(pooling)
    features = nn.Sequential(
        nn.Conv2d(in_channels, 6, 5), _activation(activation), _pool(pooling),  # (B, 6, 14, 14)
        nn.Conv2d(6, 16, 5), _activation(activation), _pool(pooling),  # (B, 16, 5, 5)
    )
    classifier = nn.Sequential(
        nn.Flatten(),  # (B, 400)
        nn.Linear(400, 120), _activation(activation),
        nn.Linear(120, 84), _activation(activation),
        nn.Linear(84, num_classes),
    )
    return ImageClassifier(features, classifier, in_channels, image_size=32, name="lenet5")


# --------------------------------------------------------------------------- AlexNet

# Conv layers as (out channels, kernel, stride, padding, groups, LRN after, max-pool after).
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

    Returns:
        An :class:`ImageClassifier` for ``(B, in_channels, S, S)`` with S the configuration's
        ``image_size``.
    """
    config = config or ("small" if small else "paper")
    if config not in ALEXNET_CONFIGS:
        raise ValueError(f"config must be one of {sorted(ALEXNET_CONFIGS)}, got {config!r}")
    cfg = ALEXNET_CONFIGS[config]
    in_channels = in_channels or (1 if config == "small" else 3)
    layers: list[nn.Module] = []
    c, size = in_channels, cfg["image_size"]
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
    hidden = cfg["hidden"]
    classifier = nn.Sequential(
        nn.Flatten(),  # (B, c * size * size)
        nn.Dropout(dropout), nn.Linear(c * size * size, hidden), nn.ReLU(inplace=True),
        nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
        nn.Linear(hidden, num_classes),
    )
    return ImageClassifier(nn.Sequential(*layers), classifier, in_channels, cfg["image_size"], name=f"alexnet({config})")


# --------------------------------------------------------------------------- VGG

# Table 1 of Simonyan & Zisserman (2015), one column per configuration, in the paper's words.
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


# --------------------------------------------------------------------------- GoogLeNet


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


# --------------------------------------------------------------------------- ResNet


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


# --------------------------------------------------------------------------- DenseNet


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
