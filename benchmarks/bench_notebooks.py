"""Execution time of every chapter notebook on this machine, against the course budgets.

Each notebook runs top to bottom in a fresh kernel on a temporary copy (the committed file is
untouched), on the CPU with progress bars off, as CI runs it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
PER_NOTEBOOK, WHOLE_COURSE = 150.0, 20 * 60.0


def main() -> int:
    os.environ.setdefault("DLBOOK_PROGRESS", "0")
    os.environ.setdefault("DLBOOK_DEVICE", "cpu")
    notebooks = [Path(p) for p in sys.argv[1:]] or sorted(ROOT.glob("chapters/*/*.ipynb"))
    total, over = 0.0, []
    print(f"{'seconds':>8}  notebook (budget {PER_NOTEBOOK:.0f} s each, {WHOLE_COURSE / 60:.0f} min in all), {os.cpu_count()} CPUs")
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
        total += seconds
        if seconds > PER_NOTEBOOK:
            over.append(path)
        print(f"{seconds:8.1f}  {path.relative_to(ROOT)}{'  OVER BUDGET' if seconds > PER_NOTEBOOK else ''}", flush=True)
    print(f"{total:8.1f}  all {len(notebooks)} notebooks ({total / WHOLE_COURSE:.0%} of the whole-course budget)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
