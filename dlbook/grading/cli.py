"""``python -m dlbook.grading AUTOGRADER SUBMISSIONS``: what ``make grade`` runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._sandbox import landlock_abi
from .batch import DEFAULT_MEMORY_MB, _fmt, default_workers, grade_batch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dlbook.grading",
        description="Grade every notebook in a folder; writes <folder>/grades.csv.",
    )
    parser.add_argument("autograder", nargs="?", help="exercises/autograders/<exercise> (tests/ and the solutions)")
    parser.add_argument("submissions", nargs="?", help="folder of submitted .ipynb files")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per submission (300)")
    parser.add_argument("--cell-timeout", type=float, default=None, help="seconds per cell (timeout/3)")
    parser.add_argument("--workers", type=int, default=None,
                        help=f"submissions graded in parallel (default: the cores available, {default_workers()})")
    parser.add_argument("--memory-mb", type=float, default=DEFAULT_MEMORY_MB,
                        help=f"address-space limit per kernel in MiB ({DEFAULT_MEMORY_MB:g}; 0: none, "
                             "e.g. for CUDA, which reserves more address space than it uses)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the hidden inputs (default: random)")
    parser.add_argument("--csv", default=None, help="output file (default <submissions>/grades.csv)")
    args = parser.parse_args(argv)
    if not args.autograder or not args.submissions:
        parser.error("give the autograder folder and the submissions folder")
    abi = landlock_abi()
    print(f"sandbox: Landlock ABI {abi} (file, network and signal rules) and resource limits" if abi else
          "sandbox: resource limits only (no Landlock on this system: see exercises/README.md)")
    results = grade_batch(args.submissions, args.autograder, timeout=args.timeout, workers=args.workers,
                          csv_path=args.csv, cell_timeout=args.cell_timeout, seed=args.seed,
                          memory_mb=args.memory_mb)
    out = Path(args.csv) if args.csv else Path(args.submissions) / "grades.csv"
    for r in results:
        print(f"{r.submission:40s} {_fmt(r.total):>6s}/{_fmt(r.max_total):<6s} {r.status}")
    print(f"wrote {out} ({len(results)} submissions)")
    return 0
