"""Options and the closing table of the learner's run (`make learner`)."""

from __future__ import annotations

import json
from pathlib import Path

from learner_run import RESULTS


def pytest_addoption(parser):
    parser.addoption("--learner-report", default=None, metavar="PATH",
                     help="write each notebook's kernel CPU seconds (learner's run) to PATH as JSON")


def pytest_runtest_logreport(report):
    # With pytest-xdist the numbers travel back from the workers as user properties.
    for name, value in getattr(report, "user_properties", []):
        if name == "learner_cpu" and report.when == "call":
            RESULTS[report.nodeid] = value


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS:
        return
    rows = sorted(RESULTS.values(), key=lambda r: -r["cpu_seconds"])
    total = sum(r["cpu_seconds"] for r in rows)
    target = config.getoption("--learner-report")
    tr = terminalreporter
    tr.section("learner's run: kernel CPU seconds per notebook (no pins, default threads)")
    for r in rows:
        tr.write_line(f"{r['cpu_seconds']:8.1f} CPU  {r['wall_seconds']:7.1f} wall  {r['notebook']}")
    tr.write_line(f"{total:8.1f} CPU in all {len(rows)} notebooks (course budget: 1200 s)")
    if target:
        out = Path(target)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"total_cpu_seconds": round(total, 1), "notebooks": rows}, indent=1) + "\n")
