"""Fine-tune chapter 11's three readers and write them into the package (dlbook/reading/fact_readers.pt).

Run in the pinned numeric environment, so that the result is bit-for-bit reproducible
(tests/test_reading.py re-makes the first reader and compares it with the shipped one, and notebook
11_adversarial/03 shows that its own fine-tuning gives all three):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/fine_tune_readers.py [--out PATH]

The recipe is ``dlbook.reading.fine_tune_reader`` with ``READER_RECIPE``, once per seed of
``READER_SEEDS``, from the shipped mini BERT. After re-making the file, set
``dlbook.reading.READERS_TORCH`` to the PyTorch version that made it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weights_tool import detached_state, run  # noqa: E402

from dlbook.bert import load_pretrained  # noqa: E402
from dlbook.reading import (  # noqa: E402
    READER_SEEDS,
    READERS_TORCH,
    READERS_WEIGHTS,
    fact_reading_task,
    fine_tune_reader,
    match_segments,
    squad_scores,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, nargs="+", default=list(READER_SEEDS),
                        help="make only these readers (a check; the package's file needs all of them)")


def validate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not set(args.seeds) <= set(READER_SEEDS):
        parser.error(f"--seeds must be among {list(READER_SEEDS)}, got {args.seeds}")
    if sorted(set(args.seeds)) != sorted(READER_SEEDS) and args.out.resolve() == READERS_WEIGHTS.resolve():
        parser.error("a file with only some of the readers would replace the package's: give --out")


def make(args: argparse.Namespace) -> tuple[dict, str]:
    pretrained, task = load_pretrained(), fact_reading_task()
    test = task.sample(500, seed=999)
    test.segments = match_segments(test.ids, test.segments)
    state, scores = {}, []
    for seed in args.seeds:
        reader = fine_tune_reader(pretrained, task, seed)
        scores.append(f"reader {seed}: test F1 {squad_scores(task.predict(reader, test), test.answers)['f1']:.1f}")
        state.update(detached_state(reader, prefix=f"seed{seed}."))
    return state, ", ".join(scores)


def main(argv: list[str] | None = None) -> int:
    return run(argv, __doc__.splitlines()[0], READERS_WEIGHTS, READERS_TORCH, make, add_arguments, validate)


if __name__ == "__main__":
    raise SystemExit(main())
