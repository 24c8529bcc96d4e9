"""``python -m dlbook.grading AUTOGRADER SUBMISSIONS``: what ``make grade`` runs.

``python -m dlbook.grading merge OUT.csv SHARD.csv ...`` joins the CSVs of ``--shard K/N`` runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .batch import (DEFAULT_MEMORY_MB, SandboxUnavailable, _fmt, default_workers, grade_batch, merge, meta_path,
                    parse_shard, safe_status)


def _merge_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlbook.grading merge",
                                     description="Join the grades of --shard K/N runs into one CSV.")
    parser.add_argument("out", help="the merged CSV to write (its sidecar .json beside it)")
    parser.add_argument("shards", nargs="+", help="the shards' CSVs (each with its sidecar .json)")
    args = parser.parse_args(argv)
    try:
        out = merge(args.out, args.shards)
    except ValueError as err:
        parser.exit(2, f"merge: {err}\n")
    print(f"wrote {out} and {meta_path(out).name} from {len(args.shards)} shards")
    return 0


def main(argv: list[str] | None = None) -> int:
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["merge"]:
        return _merge_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m dlbook.grading",
        description="Grade every notebook in a folder; writes <folder>/grades.csv and grades.json "
                    "(seed, sandbox mode). `python -m dlbook.grading merge OUT SHARDS...` joins shards.",
    )
    parser.add_argument("autograder", nargs="?", help="exercises/autograders/<exercise> (tests/ and the solutions)")
    parser.add_argument("submissions", nargs="?", help="folder of submitted .ipynb files")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per submission (300)")
    parser.add_argument("--cell-timeout", type=float, default=None, help="seconds per cell (timeout/3)")
    parser.add_argument("--workers", type=int, default=None,
                        help=f"submissions graded in parallel (default: the cores available, {default_workers()})")
    parser.add_argument("--memory-mb", type=float, default=DEFAULT_MEMORY_MB,
                        help=f"memory per submission in MiB ({DEFAULT_MEMORY_MB:g}; 0: none, "
                             "e.g. for CUDA, which reserves more address space than it uses)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the hidden inputs (default: random; grades.json records it: "
                             "the same seed regrades identically)")
    parser.add_argument("--shard", default=None, metavar="K/N",
                        help="grade only the K-th of N slices (K from 0; needs --seed); join with `merge`")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="grade without bubblewrap (resource limits and Landlock only): only on a "
                             "machine you can throw away; the CSV says so")
    parser.add_argument("--csv", default=None, help="output file (default <submissions>/grades.csv)")
    args = parser.parse_args(argv)
    if not args.autograder or not args.submissions:
        parser.error("give the autograder folder and the submissions folder")
    try:
        results = grade_batch(args.submissions, args.autograder, timeout=args.timeout, workers=args.workers,
                              csv_path=args.csv, cell_timeout=args.cell_timeout, seed=args.seed,
                              memory_mb=args.memory_mb or None, unsafe_no_sandbox=args.unsafe_no_sandbox,
                              shard=args.shard)
    except SandboxUnavailable as err:
        parser.exit(3, f"refusing to grade: {err}\n")
    except ValueError as err:
        parser.error(str(err))
    mode = results[0].details.get("sandbox", "") if results else ""
    if args.csv:
        out = Path(args.csv)
    else:
        k_n = parse_shard(args.shard)
        out = Path(args.submissions) / ("grades.csv" if k_n is None else f"grades.shard-{k_n[0]}-of-{k_n[1]}.csv")
    print(f"sandbox: {mode or '(no submission)'}")
    for r in results:
        print(f"{safe_status(r.submission, 60):60s} {_fmt(r.total):>6s}/{_fmt(r.max_total):<6s} {r.status}")
    print(f"wrote {out} and {meta_path(out).name} ({len(results)} submissions)")
    return 0
