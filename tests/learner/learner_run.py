"""Run a chapter notebook the way a learner does: default environment, outputs not compared."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("chapters/*/*.ipynb"))

#: What make test's checks set and a learner's machine does not: the pinned numeric environment,
#: the forced CPU and the switched-off progress bars. Removed from the kernel's environment.
CHECK_ONLY = ("DLBOOK_PROGRESS", "DLBOOK_DEVICE", "PYTHONHASHSEED")

#: Filled with one row per executed notebook (in the controlling process under pytest-xdist).
RESULTS: dict[str, dict] = {}

_USAGE_CELL = """\
import json as _json, resource as _resource
_self, _kids = _resource.getrusage(_resource.RUSAGE_SELF), _resource.getrusage(_resource.RUSAGE_CHILDREN)
print(_json.dumps({"cpu": _self.ru_utime + _self.ru_stime + _kids.ru_utime + _kids.ru_stime}))
"""


def learner_environment() -> dict[str, str]:
    """This process's environment less every variable that only the checks set."""
    from dlbook.runtime import REPRODUCIBLE_ENV

    drop = set(REPRODUCIBLE_ENV) | set(CHECK_ONLY)
    env = {k: v for k, v in os.environ.items() if k not in drop}
    # Two notebooks run side by side, each with PyTorch's default thread count (one per core):
    # OpenMP threads that spin while they wait would then steal the other kernel's cores. A
    # passive wait changes no result, only how idle threads sleep (a learner runs one notebook).
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


def run_notebook(path: Path, timeout: int = 900) -> dict:
    """Execute ``path`` top to bottom in a fresh kernel in the learner's environment.

    Returns ``{"notebook", "cpu_seconds", "wall_seconds"}``; the CPU time is the kernel's own
    (and its children's, e.g. torchrun workers), read by a cell appended in memory.
    Raises nbclient's ``CellExecutionError`` if any cell raises.
    """
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_USAGE_CELL))
    env = learner_environment()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute(env=env)  # passed on to the kernel manager: the kernel sees only ``env``
    wall = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    cpu = json.loads(text.strip().splitlines()[-1])["cpu"]
    return {"notebook": str(path.relative_to(ROOT)), "cpu_seconds": round(cpu, 1), "wall_seconds": round(wall, 1)}
