"""Reproducibility and hardware selection shared by every notebook."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["set_seed", "device", "progress_enabled", "numeric_environment", "REPRODUCIBLE_ENV"]

#: The pinned numeric environment in which the course's stored outputs are made and checked
#: (`make notebooks`, nbval in `make test`, `make bench` set these). The variables must be set
#: before the process starts: PyTorch and MKL read them when they load.
#:
#: - ``ATEN_CPU_CAPABILITY=avx2``: ATen's vectorised kernels (reductions, element-wise ops) use
#:   8-lane AVX2 code on every CPU that has AVX2, including AVX-512 ones.
#: - ``MKL_CBWR=COMPATIBLE``: MKL's matrix products follow one code path on every x86-64 CPU
#:   (MKL's ``AVX2`` branch is not honoured on AMD processors; ``COMPATIBLE`` is).
#: - ``OMP_NUM_THREADS=1``, ``MKL_NUM_THREADS=1``: one thread, so no reduction is split by core count.
#: - ``ONEDNN_MAX_CPU_ISA=AVX2`` and, through ``DLBOOK_REPRODUCIBLE=1``, oneDNN switched off in
#:   PyTorch: oneDNN picks convolution kernels and blockings from the CPU's ISA and cache sizes.
REPRODUCIBLE_ENV: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "COMPATIBLE",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "DLBOOK_REPRODUCIBLE": "1",
}



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


def _apply_reproducible_mode() -> None:
    """Called on ``import dlbook`` when ``DLBOOK_REPRODUCIBLE=1``: settings made in-process."""
    torch.set_num_threads(1)
    # oneDNN's convolution blockings depend on the CPU's caches; ATen's own path (im2col and an
    # MKL product pinned by MKL_CBWR) does not.
    torch.backends.mkldnn.enabled = False
    torch.use_deterministic_algorithms(True)


def reproducible_mode() -> bool:
    """Whether this process runs in the course's pinned numeric environment (DLBOOK_REPRODUCIBLE=1)."""
    return os.environ.get("DLBOOK_REPRODUCIBLE", "").strip().lower() in {"1", "true", "yes", "on"}


def numeric_environment() -> dict[str, object]:
    """What decides the last digits of a CPU computation in this process.

    Returns:
        A dict: ``cpu_capability`` (the ATen kernel set in use), ``threads`` (intra-op threads),
        ``onednn`` (whether PyTorch may use oneDNN), ``deterministic`` (deterministic algorithms
        requested), and the values of the variables in :data:`REPRODUCIBLE_ENV` (``None`` if unset).
        In the pinned environment this equals :func:`expected_numeric_environment`.
    """
    info: dict[str, object] = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "onednn": bool(torch.backends.mkldnn.enabled),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
    }
    for name in REPRODUCIBLE_ENV:
        info[name] = os.environ.get(name)
    return info


def expected_numeric_environment() -> dict[str, object]:
    """:func:`numeric_environment` as it reads inside the pinned environment."""
    expected: dict[str, object] = {
        "cpu_capability": "AVX2",
        "threads": 1,
        "onednn": False,
        "deterministic": True,
    }
    expected.update(REPRODUCIBLE_ENV)
    return expected


if reproducible_mode():
    _apply_reproducible_mode()
