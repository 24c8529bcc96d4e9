"""Datasets whose items are ``((input, ...), target)``, the batch shape ``dlbook.fit`` passes as ``model(*inputs)``."""

from __future__ import annotations

from typing import Sequence

import torch
from torch.utils.data import Dataset

from .dates import DateTensors

__all__ = ["InputsTarget", "TensorBatches", "date_loader"]


class InputsTarget(Dataset):
    """Items ``((inputs[0][i], inputs[1][i], ...), target[i])`` from tensors with one first dimension.

    Args:
        inputs: the model's arguments, each ``(N, ...)``.
        target: the labels ``(N, ...)``.
    """

    def __init__(self, inputs: Sequence[torch.Tensor], target: torch.Tensor):
        self.inputs, self.target = tuple(inputs), target
        sizes = {len(t) for t in self.inputs} | {len(target)}
        if len(sizes) != 1:
            raise ValueError(f"inputs and target must share their first dimension, got {[len(t) for t in (*self.inputs, target)]}")

    def __len__(self) -> int:
        return len(self.target)

    def __getitem__(self, i: int):
        return tuple(t[i] for t in self.inputs), self.target[i]


class TensorBatches:
    """Batches ``((inputs[0][idx], ...), target[idx])`` sliced straight from tensors.

    A light replacement for ``DataLoader(InputsTarget(...))``: slicing whole batches avoids the
    per-item indexing and collation that dominate the time of small sequence models on a CPU.

    Args:
        inputs, target: as for :class:`InputsTarget`.
        batch_size: items per batch (the last batch may be smaller).
        shuffle: a new permutation at every pass, from a generator seeded with ``seed``.

    Attributes:
        data: the :class:`InputsTarget` the batches are sliced from (``data.inputs``, a tuple of
            ``(n, ...)`` tensors, and ``data.target`` ``(n, ...)``), as ``DataLoader.dataset``.
    """

    def __init__(self, inputs: Sequence[torch.Tensor], target: torch.Tensor, batch_size: int = 128,
                 shuffle: bool = False, seed: int = 0):
        self.data = InputsTarget(inputs, target)
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.batch_size, self.shuffle = batch_size, shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return -(-len(self.data) // self.batch_size)

    def __iter__(self):
        n = len(self.data)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield tuple(t[idx] for t in self.data.inputs), self.data.target[idx]


def date_loader(data: DateTensors, batch_size: int = 128, shuffle: bool = False, seed: int = 0) -> TensorBatches:
    """Batches ``((src, src_mask, tgt_in), tgt_out)`` of a date data set for :class:`dlbook.rnn.Seq2Seq`."""
    return TensorBatches((data.src, data.src_mask, data.tgt_in), data.tgt_out, batch_size, shuffle, seed)
