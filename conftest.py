"""pytest hooks for the notebook checks (`make nbval`, `make nbval-twin`).

``--nb-report=PATH`` adds up nbval's per-cell durations (set-up included, where the kernel
starts) for each notebook and writes them, longest first, to a JSON file, and prints the table
at the end of the run. With pytest-xdist the reports reach the controlling process, so the
table covers every worker. The seconds are the kernel's wall time on one pinned thread: a
budget reading, never a test.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

_seconds: dict[str, float] = defaultdict(float)


def pytest_addoption(parser):
    parser.addoption("--nb-report", default=None, metavar="PATH",
                     help="write each notebook's summed nbval cell durations (seconds) to PATH as JSON")


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    target = config.getoption("--nb-report")
    if not target or not _seconds:
        return
    rows = sorted(_seconds.items(), key=lambda item: -item[1])
    total = sum(_seconds.values())
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"total_seconds": round(total, 1),
                               "notebooks": {k: round(v, 1) for k, v in rows}}, indent=1) + "\n")
    tr = terminalreporter
    tr.section("seconds per notebook (nbval cell durations, one thread each)")
    for path, seconds in rows:
        tr.write_line(f"{seconds:8.1f}  {path}")
    tr.write_line(f"{total:8.1f}  all {len(rows)} notebooks, summed (written to {out})")
