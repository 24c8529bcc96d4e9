"""Train chapter 6's unconditional digit DCGAN and write its generator into the package (dlbook/gan/digit_dcgan.pt).

Run in the pinned numeric environment, so that the result is bit-for-bit reproducible
(tests/test_gan.py re-runs this recipe and compares with the shipped file):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/train_digit_dcgan.py [--out PATH]

The recipe is ``dlbook.gan.train_digit_dcgan(**dlbook.gan.DCGAN_RECIPE)``, the DCGAN that chapter 6's
notebook 3 trains; notebook 4 loads it. With ``--runs`` the tool makes instead the five further
generators that notebook 3 compares with it (``dlbook.gan.DCGAN_RUNS``: the same recipe with seeds 1
and 2, and with seeds 0 to 2 without batch norm) and writes them into dlbook/gan/digit_dcgan_runs.pt;
``--runs nobn_seed0`` (names as ``dlbook.gan.dcgan_run_name``) makes only that one, with ``--out``.
After re-making a file, set ``dlbook.gan.DCGAN_TORCH`` to the PyTorch version that made it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weights_tool import detached_state, run  # noqa: E402

from dlbook.gan import DCGAN_RECIPE, DCGAN_RUNS_WEIGHTS, DCGAN_TORCH, DCGAN_WEIGHTS, train_digit_dcgan  # noqa: E402
from dlbook.gan.digit_dcgan import DCGAN_RUNS, dcgan_run_name  # noqa: E402

RUN_NAMES = {dcgan_run_name(bn, seed): (bn, seed) for bn, seed in DCGAN_RUNS}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", nargs="*", choices=list(RUN_NAMES), default=None, metavar="NAME",
                        help=f"make the further runs instead ({', '.join(RUN_NAMES)}; none named: all of them, "
                             f"into {DCGAN_RUNS_WEIGHTS.name})")


def validate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.runs is None:
        return
    if args.out.resolve() == DCGAN_WEIGHTS.resolve():
        args.out = DCGAN_RUNS_WEIGHTS  # --out not given: the runs' own file
    args.runs = args.runs or list(RUN_NAMES)
    if sorted(set(args.runs)) != sorted(RUN_NAMES) and args.out.resolve() == DCGAN_RUNS_WEIGHTS.resolve():
        parser.error("a file with only some of the runs would replace the package's: give --out")


def make(args: argparse.Namespace) -> tuple[dict, str]:
    torch.set_num_threads(1)  # as the notebooks train it
    if args.runs is None:
        G, history = train_digit_dcgan(**DCGAN_RECIPE)
        return detached_state(G), f"last losses: D {history.last('d_loss'):.2f}, G {history.last('g_loss'):.2f}"
    state, notes = {}, []
    for name in args.runs:
        batch_norm, seed = RUN_NAMES[name]
        G, history = train_digit_dcgan(**{**DCGAN_RECIPE, "seed": seed}, batch_norm=batch_norm)
        state.update(detached_state(G, prefix=f"{name}."))
        notes.append(f"{name}: last losses D {history.last('d_loss'):.2f}, G {history.last('g_loss'):.2f}")
    return state, "; ".join(notes)


def main(argv: list[str] | None = None) -> int:
    return run(argv, __doc__.splitlines()[0], DCGAN_WEIGHTS, DCGAN_TORCH, make, add_arguments, validate)


if __name__ == "__main__":
    raise SystemExit(main())
