"""The environment of `make nbval-twin`: strict nbval as if on another CPU.

The stored outputs are made in the pinned numeric environment (``dlbook.runtime.REPRODUCIBLE_ENV``)
and must reproduce on any x86-64 CPU with AVX2 and FMA. A second machine is not always at hand,
so the twin run flips, on this one, every CPU-dependent choice that the pins are meant to
neutralise. Two kinds of flip:

``--machine`` (set *before* the pins, which then override them): what a machine's own
environment may say, flipped away from the pinned value. It catches a pin dropped from
``REPRO_ENV``: this is how a fresh clone failed once (a machine set ``OPENBLAS_CORETYPE=Haswell``,
the outputs had been made with SkylakeX kernels).

``--override`` (set *after* the pins): choices that a *different* pin must make irrelevant.

- ``ONEDNN_MAX_CPU_ISA`` at the CPU's best: oneDNN is off in the pinned environment
  (``DLBOOK_REPRODUCIBLE=1``), so its ISA must not matter.
- ``MKL_ENABLE_INSTRUCTIONS`` at the other level: ``MKL_CBWR=COMPATIBLE`` must fix MKL's path.
- ``GLIBC_TUNABLES`` hiding AVX-512 from glibc: its libm must pick the same variants on an
  AVX-512 CPU as on an AVX2 one (there is no pin for it).
- ``OPENBLAS_VERBOSE``/``MKL_VERBOSE`` stay unset: the output must not change.

Prints ``NAME=value`` words for ``env``.
"""

from __future__ import annotations

import argparse

import numpy as np

# glibc 2.36's names for the AVX-512 feature bits (sysdeps/x86/include/cpu-features.h);
# a name glibc does not know is ignored, so check with ``ld.so --list-diagnostics``.
AVX512_GLIBC = ["AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX512ER", "AVX512PF",
                "AVX512_IFMA", "AVX512_VBMI", "AVX512_VBMI2", "AVX512_VNNI", "AVX512_BITALG",
                "AVX512_VPOPCNTDQ", "AVX512_BF16", "AVX512_FP16", "AVX512_4FMAPS", "AVX512_4VNNIW"]


def _has_avx512() -> bool:
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # NumPy 1.x
        from numpy.core._multiarray_umath import __cpu_features__ as features
    return bool(features.get("AVX512F"))


def machine_flips() -> dict[str, str]:
    avx512 = _has_avx512()
    return {
        # The pin says Haswell; a machine may say anything (or nothing: then the CPU decides).
        "OPENBLAS_CORETYPE": "Sandybridge",  # AVX kernels: run on any AVX2 CPU, differ from Haswell
        "OPENBLAS_NUM_THREADS": "2",
        "ATEN_CPU_CAPABILITY": "default",
        "NPY_DISABLE_CPU_FEATURES": "",
        "OMP_NUM_THREADS": "2",
        "MKL_NUM_THREADS": "2",
    }


def override_flips() -> dict[str, str]:
    avx512 = _has_avx512()
    return {
        "ONEDNN_MAX_CPU_ISA": "ALL",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2" if avx512 else "SSE4_2",
        "GLIBC_TUNABLES": "glibc.cpu.hwcaps=" + ",".join("-" + name for name in AVX512_GLIBC),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--machine", action="store_true", help="flips set before the pins")
    group.add_argument("--override", action="store_true", help="flips set after the pins")
    args = parser.parse_args()
    flips = machine_flips() if args.machine else override_flips()
    print(" ".join(f"{k}={v}" for k, v in flips.items()))


if __name__ == "__main__":
    np.zeros(1)
    main()
