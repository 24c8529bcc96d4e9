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

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlbook.bert import load_pretrained  # noqa: E402
from dlbook.reading import READER_SEEDS, READERS_WEIGHTS, fact_reading_task, fine_tune_reader, match_segments, squad_scores  # noqa: E402
from dlbook.runtime import expected_numeric_environment, numeric_environment  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=READERS_WEIGHTS, help="where to write the state dicts")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(READER_SEEDS),
                        help="make only these readers (a check; the package's file needs all of them)")
    args = parser.parse_args(argv)
    if not set(args.seeds) <= set(READER_SEEDS):
        parser.error(f"--seeds must be among {list(READER_SEEDS)}, got {args.seeds}")
    if sorted(set(args.seeds)) != sorted(READER_SEEDS) and args.out.resolve() == READERS_WEIGHTS.resolve():
        parser.error("a file with only some of the readers would replace the package's: give --out")
    if numeric_environment() != expected_numeric_environment():
        print(f"not in the pinned numeric environment (see the docstring): {numeric_environment()}", file=sys.stderr)
        return 2
    pretrained, task = load_pretrained(), fact_reading_task()
    test = task.sample(500, seed=999)
    test.segments = match_segments(test.ids, test.segments)
    state = {}
    for seed in args.seeds:
        reader = fine_tune_reader(pretrained, task, seed)
        f1 = squad_scores(task.predict(reader, test), test.answers)["f1"]
        print(f"reader {seed}: test F1 {f1:.1f}")
        state.update({f"seed{seed}.{k}": v.detach().clone().contiguous() for k, v in reader.state_dict().items()})
    torch.save(state, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
