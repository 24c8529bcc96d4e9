"""The per-submission grading worker: runs a notebook in a sandboxed kernel, then its probes.

The grader starts this file as ``python _worker.py`` (on its own, without importing dlbook, so
that a worker starts in a fraction of a second) and writes a JSON job on its stdin. The worker

1. reads the notebook (a file the kernel never sees) and runs its code cells, in order, in a
   fresh kernel started by ``_sandbox.py`` in the submission's own working folder, with a
   per-cell time limit;
2. then runs one probe cell per hidden-test call: each prints the student's answer for inputs
   the grader chose, as plain data (``codec.run_probe``);
3. reports on stdout, each line tagged with a secret the kernel never sees: the kernel's pid,
   each probe's answer text, and the status (``ok``, ``timeout`` or ``error: ...``).

It computes no verdict: the grader judges the answers in its own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KERNEL_NAME = "dlbook-sandbox"
MAX_ANSWER_CHARS = 64 * 2**20


def _cell_error(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), str(out.get("evalue", ""))[:120]
    return None


def _stdout_text(cell) -> str:
    return "".join(str(out.get("text", "")) for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")


def _install_kernelspec(folder: Path, sandbox: dict[str, Any]) -> None:
    """A kernelspec whose command is ``_sandbox.py``, found through ``JUPYTER_PATH``."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(Path(__file__).with_name("_sandbox.py")), json.dumps(sandbox), "{connection_file}"]
    (spec_dir / "kernel.json").write_text(json.dumps(
        {"argv": argv, "display_name": "dlbook sandbox", "language": "python"}), encoding="utf-8")
    os.environ["JUPYTER_PATH"] = str(folder) + os.pathsep + os.environ.get("JUPYTER_PATH", "")


def run(job: dict[str, Any]) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    secret = job["secret"]
    cell_timeout = float(job["cell_timeout"])
    errors: list[tuple[int, str, str]] = []

    def report(**event: Any) -> None:
        sys.stdout.write(secret + " " + json.dumps(event) + "\n")
        sys.stdout.flush()

    try:
        nb = nbformat.read(job["submission"], as_version=4)
    except Exception as err:  # not JSON, not a notebook
        report(status=f"error: unreadable notebook ({type(err).__name__})")
        return 0

    run_dir = Path(job["run_dir"])
    _install_kernelspec(Path(job["work_dir"]), job["sandbox"])
    # The connection file (it holds the kernel's key) goes in the submission's own folder, the
    # only one its sandboxed kernel can read, and which no other kernel can read.
    runtime = str(run_dir / ".runtime")
    os.environ["JUPYTER_RUNTIME_DIR"] = os.environ["TMPDIR"] = tempfile.tempdir = runtime
    code_cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    work = nbformat.v4.new_notebook()
    work.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "dlbook sandbox", "language": "python"}
    work.cells = [nbformat.v4.new_code_cell(c.get("source", "")) for c in code_cells]

    client = NotebookClient(
        work,
        timeout=max(1, int(round(cell_timeout))),  # nbclient wants whole seconds
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name=KERNEL_NAME,
        record_timing=False,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(run_dir)}},
    )
    timed_out = ""  # where the first cell ran past its limit
    try:
        # The kernel's own stdout and stderr (not the notebook's outputs) go nowhere: a flood
        # there cannot fill the grader's memory, and nothing it writes there is read.
        with client.setup_kernel(env=job["env"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
            try:
                report(kernel_pid=int(client.km.provisioner.process.pid))
            except Exception:  # pragma: no cover - another provisioner
                pass
            for i, cell in enumerate(work.cells):
                start = time.monotonic()
                try:
                    client.execute_cell(cell, i)
                except DeadKernelError:
                    report(status=f"error: the kernel died in code cell {i + 1}")
                    return 0
                err = _cell_error(cell)
                if err is not None:
                    if err[0] == "KeyboardInterrupt" and time.monotonic() - start >= cell_timeout - 1:
                        timed_out = timed_out or f"code cell {i + 1}"
                    errors.append((i, *err))

            # Only now do the probes reach the kernel: one cell each, answers printed after a marker.
            marker = job["marker"]
            for probe_id, source in job["probes"]:
                cell = nbformat.v4.new_code_cell(source)
                work.cells.append(cell)
                start = time.monotonic()
                try:
                    client.execute_cell(cell, len(work.cells) - 1)
                except DeadKernelError:
                    report(status=f"error: the kernel died in hidden test {probe_id}")
                    return 0
                lines = [ln for ln in _stdout_text(cell).splitlines() if ln.startswith(marker + " ")]
                answer = lines[-1][len(marker) + 1:] if lines else None
                if answer is not None and len(answer) > MAX_ANSWER_CHARS:
                    answer = None
                if answer is None and time.monotonic() - start >= cell_timeout - 1:
                    timed_out = timed_out or f"hidden test {probe_id}"
                report(probe=probe_id, answer=answer)
            # Reported before the kernel shuts down: a slow shutdown cannot cost the row.
            report(status=_status(timed_out, errors), errors=errors)
    except Exception as err:  # the kernel failed to start, ...
        report(status=f"error: {type(err).__name__}: {str(err)[:120]}")
    return 0


def _status(timed_out: str, errors: list[tuple[int, str, str]]) -> str:
    if timed_out:
        return f"timeout in {timed_out}"
    if errors:
        i, ename, _ = errors[0]
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"error: {ename} in code cell {i + 1}{more}"
    return "ok"


if __name__ == "__main__":
    sys.exit(run(json.loads(sys.stdin.read())))
