"""Train chapter 6's unconditional digit DCGAN and write its generator into the package (dlbook/gan/digit_dcgan.pt).

Run in the pinned numeric environment, so that the result is bit-for-bit reproducible
(tests/test_gan.py re-runs this recipe and compares with the shipped file):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/train_digit_dcgan.py [--out PATH]

The recipe is ``dlbook.gan.train_digit_dcgan(**dlbook.gan.DCGAN_RECIPE)``, the DCGAN that chapter 6's
notebook 3 trains; notebook 4 loads it. After re-making the file, set ``dlbook.gan.DCGAN_TORCH`` to
the PyTorch version that made it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlbook.gan import DCGAN_RECIPE, DCGAN_WEIGHTS, train_digit_dcgan  # noqa: E402
from dlbook.runtime import expected_numeric_environment, numeric_environment  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DCGAN_WEIGHTS, help="where to write the generator's state dict")
    args = parser.parse_args(argv)
    if numeric_environment() != expected_numeric_environment():
        print(f"not in the pinned numeric environment (see the docstring): {numeric_environment()}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)  # as the notebooks train it
    G, history = train_digit_dcgan(**DCGAN_RECIPE)
    torch.save({k: v.detach().clone().contiguous() for k, v in G.state_dict().items()}, args.out)
    print(f"last losses: D {history.last('d_loss'):.2f}, G {history.last('g_loss'):.2f}; "
          f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
