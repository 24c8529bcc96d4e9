"""Offline data sets: scikit-learn's bundled digits and generated toy problems.

Nothing here downloads. Every generator takes a ``seed`` and returns the same tensors for
the same arguments on every machine, so notebook outputs can be compared.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, TensorDataset

from .utils import check_positive_int

__all__ = [
    "Splits",
    "Loaders",
    "TransformDataset",
    "load_digits",
    "digits_loaders",
    "make_line",
    "make_xor",
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_gaussian_mixture",
    "make_ring",
    "split_tensors",
    "tensor_loaders",
]

DIGITS_CLASSES = 10
_DIGITS_MAX = 16.0  # pixel intensities in scikit-learn's digits are integers 0..16


class Splits(NamedTuple):
    """Three datasets of one task: train, validation and test."""

    train: Dataset
    val: Dataset
    test: Dataset


class Loaders(NamedTuple):
    """Three data loaders of one task: train (shuffled), validation and test."""

    train: DataLoader
    val: DataLoader
    test: DataLoader


class TransformDataset(Dataset):
    """Apply ``transform`` to the input of each ``(x, y)`` pair of a dataset, on the fly.

    Used for data augmentation: the transform runs afresh every time an item is read, so
    each epoch sees new random crops or flips.
    """

    def __init__(self, dataset: Dataset, transform: Callable[[torch.Tensor], torch.Tensor]):
        if not callable(transform):
            raise TypeError(f"transform must be callable, got {type(transform).__name__}")
        self.dataset = dataset
        self.transform = transform

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int):
        x, y = self.dataset[index]
        return self.transform(x), y


def _check_positive_int(name: str, value: int) -> int:
    return check_positive_int(name, value)


def _check_non_negative(name: str, value: float) -> float:
    if not isinstance(value, (int, float, np.floating)) or value < 0 or math.isnan(value):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def _split_indices(n: int, fractions: tuple[float, float], seed: int) -> tuple[np.ndarray, ...]:
    val_fraction, test_fraction = fractions
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            f"val_fraction and test_fraction must be in [0, 1) and sum below 1, "
            f"got {val_fraction} and {test_fraction}"
        )
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    n_val = int(round(n * val_fraction))
    return perm[n_test + n_val :], perm[n_test : n_test + n_val], perm[:n_test]


def load_digits(
    size: int = 8,
    flatten: bool = False,
    normalize: bool = True,
    val_fraction: float = 0.2,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Splits:
    """scikit-learn's 1,797 handwritten digits (8x8 grey images, 10 classes), split three ways.

    The split is fixed by ``seed`` (default: 1,079 train / 359 validation / 359 test).

    Args:
        size: side of the returned images; values above 8 upsample bilinearly
            (e.g. 32 for LeNet-5's input size).
        flatten: return vectors of ``size * size`` features instead of images.
        normalize: scale pixels to [0, 1], then standardise with the training split's
            mean and standard deviation; otherwise pixels are only scaled to [0, 1].
        val_fraction, test_fraction: shares of the data held out.
        seed: seed of the split.

    Returns:
        :class:`Splits` of ``TensorDataset``; inputs are float32 of shape
        ``(N, 1, size, size)`` (or ``(N, size*size)`` when flattened), labels int64 ``(N,)``.
    """
    from sklearn.datasets import load_digits as _sk_digits  # bundled with scikit-learn

    size = _check_positive_int("size", size)
    if size < 8:
        raise ValueError(f"size must be at least 8 (the digits are 8x8), got {size}")
    raw = _sk_digits()
    images = torch.tensor(raw.images, dtype=torch.float32).unsqueeze(1) / _DIGITS_MAX  # (N, 1, 8, 8)
    labels = torch.tensor(raw.target, dtype=torch.int64)  # (N,)
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    train_idx, val_idx, test_idx = _split_indices(len(labels), (val_fraction, test_fraction), seed)
    if normalize:
        train_images = images[torch.as_tensor(train_idx)]
        mean, std = train_images.mean(), train_images.std()
        images = (images - mean) / std
    if flatten:
        images = images.reshape(len(images), -1)  # (N, size*size)

    def subset(idx: np.ndarray) -> TensorDataset:
        t = torch.as_tensor(idx, dtype=torch.int64)
        return TensorDataset(images[t], labels[t])

    return Splits(subset(train_idx), subset(val_idx), subset(test_idx))


def _loaders(splits: Splits, batch_size: int, seed: int, eval_batch_size: int | None) -> Loaders:
    batch_size = _check_positive_int("batch_size", batch_size)
    generator = torch.Generator().manual_seed(seed)
    eval_bs = eval_batch_size or max(batch_size, 256)
    return Loaders(
        DataLoader(splits.train, batch_size=batch_size, shuffle=True, generator=generator),
        DataLoader(splits.val, batch_size=eval_bs),
        DataLoader(splits.test, batch_size=eval_bs),
    )


def digits_loaders(
    batch_size: int = 64,
    size: int = 8,
    flatten: bool = False,
    normalize: bool = True,
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
    seed: int = 0,
    eval_batch_size: int | None = None,
) -> Loaders:
    """Data loaders over :func:`load_digits` (train shuffled with a seeded generator).

    Args:
        batch_size: training batch size.
        size, flatten, normalize: passed to :func:`load_digits`.
        augment: optional transform of one training image ``(1, size, size)``, applied
            afresh each time it is drawn (validation and test are never augmented).
        seed: seeds both the split and the shuffling order.
        eval_batch_size: batch size of the validation and test loaders.

    Returns:
        :class:`Loaders` yielding ``(x, y)`` with ``x`` of shape ``(B, 1, size, size)``
        (or ``(B, size*size)``) and ``y`` of shape ``(B,)``.
    """
    splits = load_digits(size=size, flatten=flatten, normalize=normalize, seed=seed)
    if augment is not None:
        splits = Splits(TransformDataset(splits.train, augment), splits.val, splits.test)
    return _loaders(splits, batch_size, seed, eval_batch_size)


def split_tensors(
    X: torch.Tensor, y: torch.Tensor, val_fraction: float = 0.2, test_fraction: float = 0.0, seed: int = 0
) -> Splits:
    """Split paired tensors into train / validation / test ``TensorDataset`` s.

    Args:
        X: inputs ``(N, ...)``.
        y: targets ``(N, ...)``.

    Raises:
        ValueError: if ``X`` and ``y`` disagree on ``N``.
    """
    if not (isinstance(X, torch.Tensor) and isinstance(y, torch.Tensor)):
        raise TypeError(f"X and y must be tensors, got {type(X).__name__} and {type(y).__name__}")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    tr, va, te = (torch.as_tensor(i, dtype=torch.int64) for i in _split_indices(len(X), (val_fraction, test_fraction), seed))
    return Splits(TensorDataset(X[tr], y[tr]), TensorDataset(X[va], y[va]), TensorDataset(X[te], y[te]))


def tensor_loaders(
    X: torch.Tensor,
    y: torch.Tensor,
    batch_size: int = 32,
    val_fraction: float = 0.2,
    test_fraction: float = 0.0,
    seed: int = 0,
) -> Loaders:
    """Loaders over a split of ``(X, y)`` (see :func:`split_tensors`); empty splits give empty loaders."""
    return _loaders(split_tensors(X, y, val_fraction, test_fraction, seed), batch_size, seed, None)


# --------------------------------------------------------------------------- toy problems


def make_line(
    n: int = 50, slope: float = 2.0, intercept: float = -1.0, noise: float = 0.3, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Points ``y = slope * x + intercept + noise`` with ``x`` uniform in [-1, 1].

    Returns:
        ``x`` of shape ``(n, 1)`` and ``y`` of shape ``(n, 1)``, float32.
    """
    n = _check_positive_int("n", n)
    noise = _check_non_negative("noise", noise)
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g) * 2 - 1
    y = slope * x + intercept + noise * torch.randn(n, 1, generator=g)
    return x, y


def make_xor(n: int = 200, noise: float = 0.15, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy copies of the four XOR corners; label 1 when exactly one coordinate is 1.

    Returns:
        ``X`` float32 ``(n, 2)`` and ``y`` int64 ``(n,)``.
    """
    n = _check_positive_int("n", n)
    noise = _check_non_negative("noise", noise)
    g = torch.Generator().manual_seed(seed)
    corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = torch.arange(n) % 4
    X = corners[which] + noise * torch.randn(n, 2, generator=g)
    y = (corners[which].sum(1) == 1).long()
    return X, y


def make_moons(n: int = 300, noise: float = 0.15, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles (scikit-learn's ``make_moons``) as tensors ``(n, 2)``, ``(n,)``."""
    from sklearn.datasets import make_moons as _moons

    X, y = _moons(n_samples=_check_positive_int("n", n), noise=_check_non_negative("noise", noise), random_state=seed)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


def make_circles(
    n: int = 300, noise: float = 0.08, factor: float = 0.5, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A small circle inside a large one (scikit-learn's ``make_circles``): ``(n, 2)``, ``(n,)``."""
    from sklearn.datasets import make_circles as _circles

    if not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    X, y = _circles(
        n_samples=_check_positive_int("n", n), noise=_check_non_negative("noise", noise), factor=factor, random_state=seed
    )
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


def make_spirals(
    n_per_class: int = 100, classes: int = 3, noise: float = 0.2, turns: float = 1.0, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Interleaved spiral arms, one per class: hard for linear models, easy for an MLP.

    Returns:
        ``X`` float32 ``(n_per_class * classes, 2)`` and ``y`` int64 of matching length.
    """
    n_per_class = _check_positive_int("n_per_class", n_per_class)
    classes = _check_positive_int("classes", classes)
    noise = _check_non_negative("noise", noise)
    g = torch.Generator().manual_seed(seed)
    r = torch.linspace(0.05, 1.0, n_per_class)  # radius grows along the arm
    xs, ys = [], []
    for k in range(classes):
        theta = turns * 2 * math.pi * r + 2 * math.pi * k / classes
        theta = theta + noise * torch.randn(n_per_class, generator=g)
        xs.append(torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1))  # (n, 2)
        ys.append(torch.full((n_per_class,), k, dtype=torch.int64))
    return torch.cat(xs), torch.cat(ys)


def make_gaussian_mixture(
    centers: torch.Tensor | list[list[float]], n_per_center: int = 100, std: float = 0.3, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Isotropic Gaussian blobs; the label is the index of the blob.

    Args:
        centers: ``(K, D)`` means.

    Returns:
        ``X`` float32 ``(K * n_per_center, D)`` and ``y`` int64 ``(K * n_per_center,)``.
    """
    c = torch.as_tensor(centers, dtype=torch.float32)
    if c.dim() != 2:
        raise ValueError(f"centers must have shape (K, D), got {tuple(c.shape)}")
    n = _check_positive_int("n_per_center", n_per_center)
    std = _check_non_negative("std", std)
    g = torch.Generator().manual_seed(seed)
    X = c.repeat_interleave(n, dim=0) + std * torch.randn(len(c) * n, c.shape[1], generator=g)  # (K*n, D)
    y = torch.arange(len(c)).repeat_interleave(n)
    return X, y


def make_ring(
    n: int = 1000, modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """A mixture of ``modes`` Gaussians evenly spaced on a circle (the classic GAN toy).

    Returns:
        samples ``(n, 2)`` and the index of the mode each came from ``(n,)``.
    """
    modes = _check_positive_int("modes", modes)
    angles = 2 * math.pi * torch.arange(modes, dtype=torch.float32) / modes
    centers = radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)  # (modes, 2)
    n = _check_positive_int("n", n)
    g = torch.Generator().manual_seed(seed)
    which = torch.randint(modes, (n,), generator=g)
    X = centers[which] + _check_non_negative("std", std) * torch.randn(n, 2, generator=g)
    return X, which
