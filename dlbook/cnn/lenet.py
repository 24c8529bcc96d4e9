"""LeNet-5 (LeCun et al. 1998): the modern reading and the paper's own layers."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .common import ImageClassifier, ScaledTanh, _activation, _pool

__all__ = ["Subsampling", "SparseConv2d", "RBFOutput", "LENET_C3_TABLE", "lenet5"]


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
