"""Small helpers that the rest of the package shares, written once.

- :func:`eval_mode`: run a block with a model in evaluation mode and put its mode back, even
  when the block raises.
- :func:`check_positive_int`: the argument check every builder and sampler makes, with one
  message shape ("steps must be a positive int, got 0").
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np
from torch import nn

__all__ = ["eval_mode", "check_number", "check_positive_int"]


@contextmanager
def eval_mode(model: nn.Module | None) -> Iterator[nn.Module | None]:
    """``with eval_mode(model): ...`` runs the block with ``model.eval()`` (dropout off, batch norm
    on its running statistics) and restores the mode the model had, also when the block raises.

    ``None`` is accepted and left alone, for helpers that take either a module or a plain function.
    Gradients are untouched: combine with ``torch.no_grad()`` where none are needed.
    """
    if model is None:
        yield None
        return
    if not isinstance(model, nn.Module):
        raise TypeError(f"eval_mode expects an nn.Module (or None), got {type(model).__name__}")
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an ``int`` if it is an integer (Python or NumPy, not a bool) ``>= minimum``.

    Raises:
        ValueError: naming the argument and what was received, e.g.
            ``steps must be a positive int, got 0`` (``minimum=0``: ``a non-negative int``).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        what = {1: "a positive int", 0: "a non-negative int"}.get(minimum, f"an int >= {minimum}")
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return int(value)


def check_number(name: str, value: Any, what: str, ok: Callable[[float], bool]) -> float:
    """``value`` as a ``float`` if it is a real number (not a bool) for which ``ok(value)`` holds.

    Raises:
        ValueError: ``f"{name} must be {what}, got {value!r}"``, e.g. ``dropout must be a number in
            [0, 1), got 1.5``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not ok(value):
        raise ValueError(f"{name} must be {what}, got {value!r}")
    return float(value)
