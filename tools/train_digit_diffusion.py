"""Train chapter 9's class-conditional digit denoiser and write its weights into the package.

Writes dlbook/diffusion/digit_unet.pt. Run in the pinned numeric environment, so that the result is
bit-for-bit reproducible (tests/test_diffusion.py re-runs this recipe and compares with the shipped file):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/train_digit_diffusion.py [--out PATH]

The recipe is ``dlbook.diffusion.train_digit_diffusion(**dlbook.diffusion.DIGIT_DIFFUSION_RECIPE)``. After
re-making the file, set ``dlbook.diffusion.DIGIT_DIFFUSION_TORCH`` to the PyTorch version that made it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlbook.diffusion.digits import (  # noqa: E402
    DIGIT_DIFFUSION_RECIPE,
    DIGIT_DIFFUSION_WEIGHTS,
    train_digit_diffusion,
)
from dlbook.runtime import expected_numeric_environment, numeric_environment  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DIGIT_DIFFUSION_WEIGHTS, help="where to write the state dict")
    args = parser.parse_args(argv)
    if numeric_environment() != expected_numeric_environment():
        print(f"not in the pinned numeric environment (see the docstring): {numeric_environment()}", file=sys.stderr)
        return 2
    net = train_digit_diffusion(**DIGIT_DIFFUSION_RECIPE)
    torch.save({k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
