"""Long-range memory tasks: the answer depends on inputs far back in the sequence."""

from __future__ import annotations

import torch

__all__ = ["adding_problem", "first_symbol_recall"]


def adding_problem(n: int, length: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Hochreiter and Schmidhuber's adding problem (Hochreiter & Schmidhuber, 1997, experiment 4).

    Each sequence has ``length`` steps of two features: a value drawn uniformly from [0, 1] and a
    marker that is 1 at exactly two steps (one in each half) and 0 elsewhere. The target is the sum
    of the two marked values. Predicting the mean (1.0) gives a mean squared error of 1/6; a model
    has learnt the task when its error is far below that.

    Args:
        n: number of sequences.
        length: ``T``, the number of steps (>= 2).
        seed: the generator's seed.

    Returns:
        ``x`` ``(n, T, 2)`` float32 and ``y`` ``(n,)`` float32.
    """
    if length < 2 or n < 1:
        raise ValueError(f"need n >= 1 and length >= 2, got n={n}, length={length}")
    g = torch.Generator().manual_seed(seed)
    values = torch.rand(n, length, generator=g)                                   # (n, T)
    half = length // 2
    first = torch.randint(0, half, (n,), generator=g)
    second = torch.randint(half, length, (n,), generator=g)
    markers = torch.zeros(n, length)
    rows = torch.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=-1)                                    # (n, T, 2)
    y = values[rows, first] + values[rows, second]                                # (n,)
    return x, y


def first_symbol_recall(
    n: int, length: int, num_symbols: int = 4, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Recall the first symbol of a sequence after ``length - 1`` random distractors.

    Symbols ``0..num_symbols-1`` are the answers; the distractors are drawn from
    ``num_symbols..2*num_symbols-1``, so only step 0 carries the label. Chance accuracy is
    ``1 / num_symbols``.

    Returns:
        ``x`` ``(n, T)`` long ids in ``0..2*num_symbols-1`` and ``y`` ``(n,)`` long labels.
    """
    if length < 1 or n < 1 or num_symbols < 2:
        raise ValueError(f"need n >= 1, length >= 1, num_symbols >= 2, got {n}, {length}, {num_symbols}")
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, num_symbols, (n,), generator=g)
    x = torch.randint(num_symbols, 2 * num_symbols, (n, length), generator=g)    # (n, T)
    x[:, 0] = y
    return x, y
