"""Train chapter 10's two date-rewriting mini LLaMAs and write them into the package (dlbook/llm/date_llamas.pt).

Run in the pinned numeric environment, so that the result is bit-for-bit reproducible
(tests/test_llm.py re-makes the smallest and compares it with the shipped one):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/train_date_llamas.py [--out PATH]

The recipe is ``dlbook.llm.date_llamas.train_date_llama(dim, **recipe)`` for each width of
``DATE_LLAMA_RECIPE["dims"]``; notebook 10_llm/07 loads them. After re-making the file, set
``dlbook.llm.date_llamas.DATE_LLAMA_TORCH`` to the PyTorch version that made it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weights_tool import detached_state, run  # noqa: E402

from dlbook import seqdata  # noqa: E402
from dlbook.llm import decoding  # noqa: E402
from dlbook.llm.date_llamas import (  # noqa: E402
    DATE_LLAMA_RECIPE,
    DATE_LLAMA_TORCH,
    DATE_LLAMA_WEIGHTS,
    EOS_ID,
    date_instructions,
    decode_bytes,
    encode_bytes,
    train_date_llama,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dims", type=int, nargs="+", default=list(DATE_LLAMA_RECIPE["dims"]),
                        help="make only these widths (a check; the package's file needs all of them)")


def validate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    dims = list(DATE_LLAMA_RECIPE["dims"])
    if not set(args.dims) <= set(dims):
        parser.error(f"--dims must be among {dims}, got {args.dims}")
    if sorted(set(args.dims)) != sorted(dims) and args.out.resolve() == DATE_LLAMA_WEIGHTS.resolve():
        parser.error("a file with only some of the widths would replace the package's: give --out")


def held_out_accuracy(model, test: list[tuple[str, str]]) -> float:
    """Exact-match share of greedy answers to ``test`` instructions (as notebook 4 scores them)."""
    outs = decoding.complete(model, [encode_bytes(p) for p, _ in test], 12, greedy=True, eos_id=EOS_ID)
    return float(np.mean([decode_bytes(o) == a for o, (_, a) in zip(outs, test)]))


def make(args: argparse.Namespace) -> tuple[dict, str]:
    torch.set_num_threads(1)  # as the notebooks train
    recipe = {k: v for k, v in DATE_LLAMA_RECIPE.items() if k != "dims"}
    test = date_instructions(seqdata.split_dates((0.05, 0.05), seed=0).test[:200], 2)
    models = {dim: train_date_llama(dim, **recipe) for dim in args.dims}
    state = {k: v for dim, m in models.items() for k, v in detached_state(m, prefix=f"dim{dim}.").items()}
    return state, ", ".join(f"width {d}: held-out accuracy {held_out_accuracy(m, test):.3f}" for d, m in models.items())


def main(argv: list[str] | None = None) -> int:
    return run(argv, __doc__.splitlines()[0], DATE_LLAMA_WEIGHTS, DATE_LLAMA_TORCH, make, add_arguments, validate)


if __name__ == "__main__":
    raise SystemExit(main())
