"""Train chapter 6's unconditional digit DCGAN and write its generator into the package (dlbook/gan/digit_dcgan.pt).

Run in the pinned numeric environment, so that the result is bit-for-bit reproducible
(tests/test_gan.py re-runs this recipe and compares with the shipped file):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/train_digit_dcgan.py [--out PATH]

The recipe is ``dlbook.gan.train_digit_dcgan(**dlbook.gan.DCGAN_RECIPE)``, the DCGAN that chapter 6's
notebook 3 trains; notebook 4 loads it. After re-making the file, set ``dlbook.gan.DCGAN_TORCH`` to
the PyTorch version that made it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weights_tool import detached_state, run  # noqa: E402

from dlbook.gan import DCGAN_RECIPE, DCGAN_TORCH, DCGAN_WEIGHTS, train_digit_dcgan  # noqa: E402


def make(args) -> tuple[dict, str]:
    torch.set_num_threads(1)  # as the notebooks train it
    G, history = train_digit_dcgan(**DCGAN_RECIPE)
    return detached_state(G), f"last losses: D {history.last('d_loss'):.2f}, G {history.last('g_loss'):.2f}"


def main(argv: list[str] | None = None) -> int:
    return run(argv, __doc__.splitlines()[0], DCGAN_WEIGHTS, DCGAN_TORCH, make)


if __name__ == "__main__":
    raise SystemExit(main())
