"""Time to batch-grade a class: 30 submissions of one exercise, as `make grade` does.

The class is made of copies of the exercise's solution notebook (two in three: these train a
model) and of the blank student notebook (one in three: these stop at the first stub), graded
with one worker per CPU core and the default time limits. The figure reported is the wall time
for the whole batch and per submission; every solution must score full marks and every blank zero.

Usage: python benchmarks/bench_grading.py [--exercise ex01_neurons] [--n 30] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_exercises  # noqa: E402

from dlbook import grading  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exercise", default="ex01_neurons")
    parser.add_argument("--n", type=int, default=30, help="submissions in the batch (30)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=300.0)
    args, _ = parser.parse_known_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        tmp = Path(tmp)
        make_exercises.generate(ROOT / "exercises" / "masters" / f"{args.exercise}.ipynb", tmp)
        autograder = tmp / "exercises" / "autograders" / args.exercise
        solution = autograder / f"{args.exercise}.ipynb"
        blank = tmp / "exercises" / f"{args.exercise}.ipynb"
        subs = tmp / "submissions"
        subs.mkdir()
        kinds = {}
        for i in range(args.n):
            kind = "blank" if i % 3 == 2 else "solution"
            name = f"student{i:03d}.ipynb"
            shutil.copy(blank if kind == "blank" else solution, subs / name)
            kinds[name] = kind

        start = time.perf_counter()
        results = grading.grade_batch(subs, autograder, timeout=args.timeout, workers=args.workers)
        elapsed = time.perf_counter() - start

    wrong = [r.submission for r in results
             if (kinds[r.submission] == "solution" and r.total != r.max_total)
             or (kinds[r.submission] == "blank" and r.total != 0)]
    slowest = max(r.seconds for r in results)
    print(f"exercise {args.exercise}: {len(results)} submissions, {args.workers} workers, {os.cpu_count()} CPUs")
    print(f"batch wall time        {elapsed:8.1f} s")
    print(f"per submission         {elapsed / len(results):8.1f} s (wall / n)")
    print(f"slowest submission     {slowest:8.1f} s (limit {args.timeout:g} s)")
    print(f"grades as expected     {len(results) - len(wrong)}/{len(results)}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
