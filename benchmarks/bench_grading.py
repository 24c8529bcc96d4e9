"""Time to batch-grade a class: 30 submissions of one exercise, as `make grade` does, before and after.

The class is made of copies of the exercise's solution notebook (two in three: these train a
model) and of the blank student notebook (one in three: these stop at the first stub), graded
with one worker per CPU core and the default time limits. The figure reported is the wall time
for the whole batch (the master's reference run included) and per submission; every solution
must score full marks and every blank zero.

The batch runs in the sandbox the grader uses by default (bubblewrap namespaces, a control group,
Landlock; the mode is printed), or with ``--unsafe-no-sandbox`` without it, to see what the sandbox
costs. The CPU seconds are those of the grader's reaped descendants, from ``getrusage``: the
workers, but not the kernels that die with their sandbox's PID namespace (a lower bound only).

"After" is this checkout. "Before" is the grader as it was before hidden tests became
declarations judged outside the kernel (issue 17): the parent of the commit that removed
``dlbook/grading.py``, extracted with ``git archive`` into a temporary folder and run with its
own benchmark script. ``--no-before`` skips it (it needs git and the history).

Usage: python benchmarks/bench_grading.py [--exercise ex01_neurons] [--n 30] [--workers N] [--no-before]
       [--unsafe-no-sandbox]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_exercises  # noqa: E402

from dlbook import grading  # noqa: E402


def _before_revision() -> str | None:
    """The commit before the old single-module grader was replaced, or None."""
    try:
        out = subprocess.run(["git", "rev-list", "-1", "HEAD", "--", "dlbook/grading.py"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{out}^" if out else None


def run_before(args: argparse.Namespace) -> int:
    rev = _before_revision()
    if rev is None:
        print("before: no git history with dlbook/grading.py; skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-grading-before-") as tmp:
        tree = Path(tmp) / "before"
        tree.mkdir()
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, check=True, capture_output=True, timeout=120)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True, timeout=120)
        env = {**os.environ, "PYTHONPATH": str(tree)}  # its dlbook before the installed one
        cmd = [sys.executable, str(tree / "benchmarks" / "bench_grading.py"), "--exercise", args.exercise,
               "--n", str(args.n), "--workers", str(args.workers), "--timeout", str(args.timeout)]
        print(f"before ({rev}, hidden tests run inside the submission's kernel):", flush=True)
        return subprocess.call(cmd, cwd=tree, env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exercise", default="ex01_neurons")
    parser.add_argument("--n", type=int, default=30, help="submissions in the batch (30)")
    parser.add_argument("--workers", type=int, default=grading.batch.default_workers())
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--no-before", action="store_true", help="time this checkout only")
    parser.add_argument("--unsafe-no-sandbox", action="store_true", help="grade without bubblewrap")
    parser.add_argument("--seed", type=int, default=None, help="the batch seed (default: a random one, printed)")
    args, _ = parser.parse_known_args(argv)

    status = 0 if args.no_before else run_before(args)
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

        start, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        results = grading.grade_batch(subs, autograder, timeout=args.timeout, workers=args.workers,
                                      unsafe_no_sandbox=args.unsafe_no_sandbox, seed=args.seed)
        seed = json.loads((subs / "grades.json").read_text())["seed"]
        elapsed, cpu1 = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)

    wrong = [r.submission for r in results
             if (kinds[r.submission] == "solution" and r.total != r.max_total)
             or (kinds[r.submission] == "blank" and r.total != 0)]
    slowest = max(r.seconds for r in results)
    print("after (verdicts computed in the grader, sandboxed kernels):")
    print(f"exercise {args.exercise}: {len(results)} submissions, {args.workers} workers, {os.cpu_count()} CPUs")
    print(f"batch seed             {seed} (--seed regrades it)")
    print(f"sandbox                {results[0].details.get('sandbox', '?') if results else '?'}")
    print(f"batch wall time        {elapsed:8.1f} s (load average now {os.getloadavg()[0]:.1f})")
    print(f"CPU of the descendants {cpu:8.1f} s (user + sys of the reaped ones: the workers; a kernel killed "
          "with its sandbox's PID namespace is reaped by no one of ours, so most kernel CPU is missing)")
    print(f"per submission         {elapsed / len(results):8.1f} s (wall / n)")
    print(f"slowest submission     {slowest:8.1f} s (limit {args.timeout:g} s)")
    print(f"grades as expected     {len(results) - len(wrong)}/{len(results)}")
    for r in results:
        if r.submission in wrong:
            print(f"  not as expected: {r.submission} ({kinds[r.submission]}) {r.total}/{r.max_total}, "
                  f"status {r.status!r}, scores {r.scores}")
    return 1 if wrong or status else 0


if __name__ == "__main__":
    sys.exit(main())
