"""Reproducibility and hardware selection shared by every notebook."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["set_seed", "device", "progress_enabled"]


def set_seed(seed: int = 0, deterministic: bool = False) -> None:
    """Seed Python, NumPy and PyTorch (CPU and every CUDA device).

    Args:
        seed: a non-negative integer.
        deterministic: also ask PyTorch for deterministic kernels (slower on GPU).

    Raises:
        TypeError: if ``seed`` is not an integer.
        ValueError: if ``seed`` is negative.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"set_seed expects an int seed, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"set_seed expects a non-negative seed, got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def device(prefer: str | None = None) -> torch.device:
    """Pick where tensors should live: CUDA, then Apple's MPS, then the CPU.

    Args:
        prefer: force a device ("cpu", "cuda", "mps"); ``None`` picks the best available.
            The environment variable ``DLBOOK_DEVICE`` overrides the automatic choice.

    Returns:
        A :class:`torch.device`.

    Raises:
        ValueError: if a forced device is unknown or not available here.
    """
    prefer = prefer or os.environ.get("DLBOOK_DEVICE") or None
    if prefer is not None:
        name = str(prefer).lower()
        available = {
            "cpu": True,
            "cuda": torch.cuda.is_available(),
            "mps": _mps_available(),
        }
        if name.split(":")[0] not in available:
            raise ValueError(f"unknown device {prefer!r}; expected one of cpu, cuda, mps")
        if not available[name.split(":")[0]]:
            raise ValueError(f"device {prefer!r} was requested but is not available here")
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def progress_enabled(requested: bool | None = None) -> bool:
    """Whether training loops should draw a tqdm progress bar.

    A bar helps a person watching a notebook but would make stored outputs differ on every
    run, so it is off when ``DLBOOK_PROGRESS`` is ``0``/``false``/``no`` (the Makefile sets
    this when it executes or validates notebooks). An explicit ``requested`` wins.
    """
    if requested is not None:
        return bool(requested)
    return os.environ.get("DLBOOK_PROGRESS", "1").strip().lower() not in {"0", "false", "no", "off"}
