"""Train chapter 9's class-conditional digit denoiser and write its weights into the package.

Writes dlbook/diffusion/digit_unet.pt. Run in the pinned numeric environment, so that the result is
bit-for-bit reproducible (tests/test_diffusion.py re-runs this recipe and compares with the shipped file):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/train_digit_diffusion.py [--out PATH]

The recipe is ``dlbook.diffusion.train_digit_diffusion(**dlbook.diffusion.DIGIT_DIFFUSION_RECIPE)``. After
re-making the file, set ``dlbook.diffusion.DIGIT_DIFFUSION_TORCH`` to the PyTorch version that made it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weights_tool import detached_state, run  # noqa: E402

from dlbook.diffusion.digits import (  # noqa: E402
    DIGIT_DIFFUSION_RECIPE,
    DIGIT_DIFFUSION_TORCH,
    DIGIT_DIFFUSION_WEIGHTS,
    train_digit_diffusion,
)


def make(args) -> tuple[dict, str]:
    return detached_state(train_digit_diffusion(**DIGIT_DIFFUSION_RECIPE)), ""


def main(argv: list[str] | None = None) -> int:
    return run(argv, __doc__.splitlines()[0], DIGIT_DIFFUSION_WEIGHTS, DIGIT_DIFFUSION_TORCH, make)


if __name__ == "__main__":
    raise SystemExit(main())
