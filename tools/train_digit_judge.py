"""Train chapter 6's digit judge and write its weights into the package (dlbook/gan/digit_judge.pt).

Run in the pinned numeric environment, so that the result is bit-for-bit reproducible
(tests/test_gan.py re-runs this recipe and compares with the shipped file):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/train_digit_judge.py [--out PATH]

The recipe is ``dlbook.gan.train_digit_judge(**dlbook.gan.JUDGE_RECIPE)``. After re-making the
file, set ``dlbook.gan.JUDGE_TORCH`` to the PyTorch version that made it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weights_tool import detached_state, run  # noqa: E402

from dlbook.gan import JUDGE_RECIPE, JUDGE_TORCH, JUDGE_WEIGHTS, judge_data, to_judge, train_digit_judge  # noqa: E402


def make(args) -> tuple[dict, str]:
    judge = train_digit_judge(**JUDGE_RECIPE)
    data = judge_data(JUDGE_RECIPE["size"])
    with torch.no_grad():
        acc = (judge(to_judge(data.X_test)).argmax(1) == data.y_test).float().mean().item()
    return detached_state(judge), f"judge's test accuracy {acc:.3f}"


def main(argv: list[str] | None = None) -> int:
    return run(argv, __doc__.splitlines()[0], JUDGE_WEIGHTS, JUDGE_TORCH, make)


if __name__ == "__main__":
    raise SystemExit(main())
