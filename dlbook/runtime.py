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
#: - Through ``DLBOOK_REPRODUCIBLE=1``, NNPACK switched off too: with oneDNN off, PyTorch sends the
#:   forward pass of a convolution over a batch of 16 or more to NNPACK, whose blockings also follow
#:   the CPU's caches. The digit judge and DCGAN, made on an AVX-512 EPYC, did not rebuild bit for
#:   bit on an AVX2 EPYC with other cache sizes; without NNPACK the forward pass is ATen's im2col
#:   and an MKL product, like the backward pass.
#: - ``OPENBLAS_CORETYPE=Haswell``, ``OPENBLAS_NUM_THREADS=1``: the OpenBLAS that NumPy and SciPy
#:   bundle (``libscipy_openblas``) otherwise picks its kernels from the CPU (SkylakeX on an
#:   AVX-512 machine, Haswell on an AVX2 one) and splits products over every core. Haswell's
#:   kernels run on every x86-64 CPU with AVX2.
#: - ``NPY_DISABLE_CPU_FEATURES``: NumPy's own loops (exp, log, tanh, sums...) dispatch at run time
#:   to the best SIMD target the CPU has. Switching off the targets above AVX2 leaves the AVX2
#:   level (``X86_V3`` in NumPy >= 2.4's names, as ``numpy.show_runtime()`` reports them) on every
#:   CPU. Names that this NumPy does not dispatch to are refused with a warning, so the list is the
#:   one NumPy 2.4 prints here: ``found X86_V3 X86_V4 AVX512_ICL``, ``not_found AVX512_SPR``.
#:
#: glibc's libm (``exp``, ``log``... called by Python and some NumPy paths) picks its FMA variant
#: on every CPU with AVX2 and FMA, and has no AVX-512 variant, so it needs no pin; ``make
#: nbval-twin`` checks this by hiding AVX-512 from glibc (``GLIBC_TUNABLES``).
REPRODUCIBLE_ENV: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",
    "MKL_CBWR": "COMPATIBLE",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "OPENBLAS_CORETYPE": "Haswell",
    "OPENBLAS_NUM_THREADS": "1",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4,AVX512_ICL,AVX512_SPR",
    "DLBOOK_REPRODUCIBLE": "1",
}

#: NumPy's SIMD dispatch targets that stay enabled in the pinned environment (the AVX2 level).
PINNED_NUMPY_SIMD: list[str] = ["X86_V3"]



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
    # oneDNN's and NNPACK's convolution blockings depend on the CPU's caches; ATen's own path
    # (im2col and an MKL product pinned by MKL_CBWR) does not.
    torch.backends.mkldnn.enabled = False
    torch.backends.nnpack.set_flags(False)
    torch.use_deterministic_algorithms(True)


def _nnpack_enabled() -> bool | None:
    """Whether PyTorch may send convolutions to NNPACK (``None`` where this PyTorch cannot say)."""
    getter = getattr(torch._C, "_get_nnpack_enabled", None)  # torch.backends.nnpack has only a setter
    return None if getter is None else bool(getter() and torch.backends.nnpack.is_available())


def reproducible_mode() -> bool:
    """Whether this process runs in the course's pinned numeric environment (DLBOOK_REPRODUCIBLE=1)."""
    return os.environ.get("DLBOOK_REPRODUCIBLE", "").strip().lower() in {"1", "true", "yes", "on"}


def numeric_environment() -> dict[str, object]:
    """What decides the last digits of a CPU computation in this process.

    Returns:
        A dict: ``cpu_capability`` (the ATen kernel set in use), ``threads`` (intra-op threads),
        ``onednn`` and ``nnpack`` (whether PyTorch may use them), ``deterministic`` (deterministic algorithms
        requested), and the values of the variables in :data:`REPRODUCIBLE_ENV` (``None`` if unset).
        In the pinned environment this equals :func:`expected_numeric_environment`.
    """
    info: dict[str, object] = {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "onednn": bool(torch.backends.mkldnn.enabled),
        "nnpack": _nnpack_enabled(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
    }
    info["numpy_simd"] = numpy_simd_targets()
    for lib in blas_libraries():
        info[f"blas {lib['prefix']}"] = f"{lib['architecture']}, {lib['num_threads']} thread(s)"
    for name in REPRODUCIBLE_ENV:
        info[name] = os.environ.get(name)
    return info


def numpy_simd_targets() -> list[str]:
    """NumPy's run-time SIMD dispatch targets that are enabled in this process.

    These are the targets ``numpy.show_runtime()`` lists as *found*, less those switched off by
    ``NPY_DISABLE_CPU_FEATURES``. Returns an empty list where this NumPy does not say.
    """
    try:
        from numpy._core import _multiarray_umath as umath  # NumPy >= 2
    except ImportError:  # pragma: no cover - NumPy 1.x
        from numpy.core import _multiarray_umath as umath  # type: ignore[no-redef]
    dispatch = getattr(umath, "__cpu_dispatch__", [])
    features = getattr(umath, "__cpu_features__", {})
    return [name for name in dispatch if features.get(name)]


def blas_libraries() -> list[dict[str, object]]:
    """The BLAS libraries loaded in this process, as threadpoolctl reports them.

    NumPy and SciPy are imported first so that their bundled OpenBLAS is loaded. Each entry has
    ``prefix`` (e.g. ``libscipy_openblas``), ``architecture`` (the kernel set OpenBLAS picked,
    e.g. ``Haswell``) and ``num_threads``, sorted by file name. PyTorch's MKL is linked statically
    and is not listed (``MKL_CBWR`` pins it). Empty if threadpoolctl is not installed.
    """
    try:
        import threadpoolctl
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return []
    try:
        import scipy.linalg  # noqa: F401  - loads SciPy's OpenBLAS, which the course uses too
    except ImportError:  # pragma: no cover
        pass
    infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    infos.sort(key=lambda i: os.path.basename(str(i.get("filepath", ""))))
    return [
        {"prefix": os.path.basename(str(i["filepath"])).split("-")[0].removesuffix(".so"),
         "architecture": i.get("architecture"), "num_threads": i.get("num_threads")}
        for i in infos
    ]


def expected_numeric_environment() -> dict[str, object]:
    """:func:`numeric_environment` as it reads inside the pinned environment."""
    expected: dict[str, object] = {
        "cpu_capability": "AVX2",
        "threads": 1,
        "onednn": False,
        "nnpack": False,
        "deterministic": True,
        "numpy_simd": list(PINNED_NUMPY_SIMD),
    }
    for lib in blas_libraries():
        expected[f"blas {lib['prefix']}"] = "Haswell, 1 thread(s)"
    expected.update(REPRODUCIBLE_ENV)
    return expected


if reproducible_mode():
    _apply_reproducible_mode()
