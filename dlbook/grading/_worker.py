"""The per-submission grading worker: runs a notebook in a sandboxed kernel, then its probes.

The grader starts this file as ``python _worker.py`` (on its own, without importing dlbook, so
that a worker starts in a fraction of a second) and writes a JSON job on its stdin. The worker

1. reads the notebook (a file the kernel never sees) and runs its code cells, in order, in a
   fresh kernel started by ``_sandbox.py`` (bubblewrap, limits, Landlock), with a per-cell time
   limit; kernel and worker talk over ZeroMQ's IPC transport (UNIX sockets in a folder both
   see), since the kernel has no network;
2. keeps of each cell's output only what grading reads: the first error's class name and
   message, truncated, and for probe cells their stdout up to the probe's byte cap; every other
   output (prints, images, widgets) is dropped as it arrives, and ZeroMQ refuses any single
   message over the cap, so a notebook that prints for ever cannot grow the worker;
3. then runs one probe cell per hidden-test call: each prints the student's answer for inputs
   the grader chose, as plain data (``codec.run_probe``); the replies of one submission are
   capped in total (``max_reply_bytes``), per probe (``probe_caps``);
4. reports on stdout, each line tagged with a secret the kernel never sees: the kernel's pid,
   each probe's answer text, and the status (``ok``, ``timeout`` or ``error: ...``).

It computes no verdict: the grader judges the answers in its own process.

Debugging a kernel that does not start: with ``DLBOOK_GRADING_DEBUG_LOG=/path/to/file`` in the
grader's environment, the kernels' own stdout and stderr are appended there (unbounded: for an
instructor's own test notebooks only).
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
MAX_ERROR_CHARS = 200


def _skip_the_iri_grammar() -> None:
    """Keep jsonschema from compiling its RFC 3987 grammar in this process.

    nbformat imports jsonschema, and jsonschema's format module imports the optional
    ``rfc3987_syntax`` when it is installed (Jupyter's event system installs it), which builds a
    Lark parser at import time: about 2 s of CPU for every submission, where the rest of the
    worker takes under 1 s (measured on a 2-core AMD EPYC). It serves only the "iri" and
    "iri-reference" format checks, which reading and running a notebook never use. A ``None``
    entry in ``sys.modules`` makes that import fail, and jsonschema then simply leaves those two
    checkers out.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def _limit_zmq_messages(max_bytes: int) -> None:
    """Every ZeroMQ socket made from now on drops a peer that sends a message over ``max_bytes``."""
    import zmq

    original = zmq.Context.__init__

    def init(self, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.sockopts[zmq.MAXMSGSIZE] = int(max_bytes)

    zmq.Context.__init__ = init  # type: ignore[method-assign]


def _make_client_class():
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionComplete

    class BoundedClient(NotebookClient):
        """Keeps only the first error of a cell and, for probe cells, capped stdout."""

        capture: dict[int, int] = {}  # cell index -> bytes of stdout still to keep
        captured: dict[int, list[str]] = {}
        overflow: set[int] = set()
        errors: dict[int, tuple[str, str]] = {}

        def process_message(self, msg: dict, cell: Any, cell_index: int) -> None:
            msg_type = msg.get("msg_type")
            content = msg.get("content") or {}
            if msg_type == "status":
                if content.get("execution_state") == "idle":
                    raise CellExecutionComplete()
                return None
            if msg_type == "error" and cell_index not in self.errors:
                self.errors[cell_index] = (str(content.get("ename", "Error"))[:MAX_ERROR_CHARS],
                                           str(content.get("evalue", ""))[:MAX_ERROR_CHARS])
            elif msg_type == "stream" and content.get("name") == "stdout" and cell_index in self.capture:
                text = str(content.get("text", ""))
                left = self.capture[cell_index]
                if len(text) > left:
                    self.overflow.add(cell_index)
                    text = text[:max(0, left)]
                self.capture[cell_index] = left - len(text)
                self.captured.setdefault(cell_index, []).append(text)
            return None  # nothing is stored in the notebook

    return BoundedClient


def _install_kernelspec(folder: Path, sandbox: dict[str, Any]) -> None:
    """A kernelspec whose command is ``_sandbox.py``, found through ``JUPYTER_PATH``."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(Path(__file__).with_name("_sandbox.py")), json.dumps(sandbox), "{connection_file}"]
    (spec_dir / "kernel.json").write_text(json.dumps(
        # Interrupts go as a message on the control channel (ipykernel then signals itself):
        # a signal to the launcher would stop at bubblewrap, outside the sandbox's session.
        {"argv": argv, "display_name": "dlbook sandbox", "language": "python", "interrupt_mode": "message"}),
        encoding="utf-8")
    os.environ["JUPYTER_PATH"] = str(folder)


def run(job: dict[str, Any]) -> int:
    secret = job["secret"]
    cell_timeout = float(job["cell_timeout"])
    max_reply = int(job["max_reply_bytes"])
    errors: list[tuple[int, str, str]] = []

    def report(**event: Any) -> None:
        sys.stdout.write(secret + " " + json.dumps(event) + "\n")
        sys.stdout.flush()

    # One message may be a large figure or a probe's answer; anything bigger ends the connection
    # (and with it the submission) before the worker holds it.
    _limit_zmq_messages(max(64 * 2**20, max(job["probe_caps"].values(), default=0) + 2**20))
    _skip_the_iri_grammar()
    import nbformat
    from jupyter_client.manager import AsyncKernelManager
    from nbclient.exceptions import DeadKernelError

    try:
        nb = nbformat.read(job["submission"], as_version=4)
    except Exception as err:  # not JSON, not a notebook
        report(status=f"error: unreadable notebook ({type(err).__name__})")
        return 0

    sockets = Path(job["sockets"])
    _install_kernelspec(Path(job["work_dir"]), job["sandbox"])
    os.environ["JUPYTER_RUNTIME_DIR"] = os.environ["TMPDIR"] = tempfile.tempdir = str(job["work_dir"])
    code_cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    work = nbformat.v4.new_notebook()
    work.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "dlbook sandbox", "language": "python"}
    work.cells = [nbformat.v4.new_code_cell(c.get("source", "")) for c in code_cells]
    del nb, code_cells

    client = _make_client_class()(
        work,
        timeout=max(1, int(round(cell_timeout))),  # nbclient wants whole seconds
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name=KERNEL_NAME,
        record_timing=False,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": job["work_dir"]}},
    )
    # The kernel has no network: ZeroMQ's IPC transport, sockets in the folder both see. The
    # connection file (it holds the kernel's key) goes there too, where no other kernel looks.
    client.km = AsyncKernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(sockets / "k"),
                                   connection_file=str(sockets / "kernel.json"))
    timed_out = ""  # where the first cell ran past its limit
    total = 0
    try:
        # The kernel's own stdout and stderr (not the notebook's outputs) go nowhere: a flood
        # there cannot fill the grader's memory, and nothing it writes there is read.
        debug = open(os.environ["DLBOOK_GRADING_DEBUG_LOG"], "ab") if os.environ.get("DLBOOK_GRADING_DEBUG_LOG") else subprocess.DEVNULL
        with client.setup_kernel(env=job["env"], stdout=debug, stderr=debug):
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
                err = client.errors.get(i)
                if err is not None:
                    if err[0] == "KeyboardInterrupt" and time.monotonic() - start >= cell_timeout - 1:
                        timed_out = timed_out or f"code cell {i + 1}"
                    errors.append((i, *err))
                cell.source = ""  # nothing of the notebook is kept once it ran

            # Only now do the probes reach the kernel: one cell each, answers printed after a marker.
            marker = job["marker"]
            for probe_id, source in job["probes"]:
                cap = min(int(job["probe_caps"][probe_id]), max_reply - total)
                cell = nbformat.v4.new_code_cell(source)
                work.cells.append(cell)
                index = len(work.cells) - 1
                client.capture[index] = cap + len(marker) + 64
                start = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                except DeadKernelError:
                    report(status=f"error: the kernel died in hidden test {probe_id}")
                    return 0
                text = "".join(client.captured.pop(index, []))
                lines = [ln for ln in text.splitlines() if ln.startswith(marker + " ")]
                answer = lines[-1][len(marker) + 1:] if lines else None
                if answer is not None and (len(answer) > cap or index in client.overflow):
                    answer, why = None, "over its size cap"
                else:
                    why = ""
                if answer is None and not why and time.monotonic() - start >= cell_timeout - 1:
                    timed_out = timed_out or f"hidden test {probe_id}"
                total += len(answer or "")
                report(probe=probe_id, answer=answer, why=why)
                cell.source = ""
                if total >= max_reply:
                    report(status=f"error: the replies passed the cap of {max_reply} bytes", errors=errors)
                    return 0
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


def _die_with_grader(grader_pid: int | None) -> None:
    """Ask Linux to SIGKILL this worker when the grader that started it dies.

    The worker runs in a session of its own (so that the grader can kill it and all it started
    as a group), so a grader killed outright (SIGTERM, SIGKILL, a closed terminal) would leave it
    running, with its sandboxed kernel, until the kernel's own limits end it; a cell that sleeps
    and ignores interrupts has none that fire. With this, the worker dies with the grader, and
    bubblewrap (``--die-with-parent``) takes the sandbox and everything in it down with the
    worker. Linux sends the signal when the *thread* that started the worker exits: the grader
    starts each worker from a thread that waits for it. Elsewhere this does nothing.
    """
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):  # not Linux
        return
    if grader_pid is not None and os.getppid() != grader_pid:  # it died before the request
        os._exit(1)


if __name__ == "__main__":
    _job = json.loads(sys.stdin.read())
    _die_with_grader(_job.get("grader_pid"))
    sys.exit(run(_job))
