"""Launch a worker script on several processes with torchrun and collect each rank's results.

The notebook (or a test) calls :func:`launch`; torchrun (``python -m torch.distributed.run``) starts
one process per rank; each rank calls ``dlbook_worker.run(main)``, which writes ``main``'s dict as
JSON; :func:`launch` returns the dicts in rank order. A rank that fails surfaces its traceback in a
:class:`LaunchError`, a job that runs too long is killed (:class:`LaunchTimeout`), and in every case
no process outlives the call.

Reference: PyTorch docs, "torchrun (Elastic Launch)"; ``--standalone`` rendezvous on a free port.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

from .scripts.dlbook_worker import BACKEND_ENV, OUT_ENV

__all__ = ["SCRIPTS", "LaunchError", "LaunchTimeout", "launch", "script_path", "show_source"]

#: Folder of the worker scripts shipped with dlbook (``collectives.py``, ``ddp.py``...).
SCRIPTS = Path(__file__).resolve().parent / "scripts"


class LaunchError(RuntimeError):
    """A distributed job failed; the message holds each failed rank's traceback and torchrun's output."""


class LaunchTimeout(LaunchError):
    """A distributed job ran past its timeout and was killed."""


def script_path(script: str | os.PathLike) -> Path:
    """Resolve ``"ddp"`` or ``"ddp.py"`` to a shipped script, or accept a path to an existing file."""
    path = Path(script)
    if path.is_file():
        return path.resolve()
    name = path.name if path.suffix == ".py" else f"{path.name}.py"
    shipped = SCRIPTS / name
    if shipped.is_file() and str(path.parent) in (".", ""):
        return shipped
    names = sorted(p.stem for p in SCRIPTS.glob("*.py") if not p.stem.startswith(("_", "dlbook_")))
    raise FileNotFoundError(f"no script {str(script)!r}: expected a file path or one of {names}")


def show_source(script: str | os.PathLike, name: str) -> str:
    """Source text of the top-level function or class ``name`` in a worker script (for a notebook to print).

    Raises:
        KeyError: if the script defines no top-level ``name``.
    """
    path = script_path(script)
    text = path.read_text(encoding="utf-8")
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return ast.get_source_segment(text, node)
    raise KeyError(f"{path.name} defines no top-level function or class {name!r}")


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():  # Linux: a zombie (state Z) has exited, it only waits to be reaped
        try:
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _kill_everything(proc: subprocess.Popen, out: Path, grace: float = 5.0) -> None:
    """Stop torchrun (it stops its workers on SIGTERM), then SIGKILL whatever is left."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    # torchrun starts each worker in a session of its own: kill any worker that survived it.
    deadline = time.monotonic() + grace
    for pid_file in out.glob("rank*.pid"):
        pid = int(pid_file.read_text() or 0)
        if pid and _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)


def launch(
    script: str | os.PathLike,
    nproc: int = 2,
    args: Sequence[str] = (),
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
    backend: str | None = None,
) -> list[dict]:
    """Run ``torchrun --standalone --nproc_per_node=nproc script *args`` and return each rank's results.

    Args:
        script: a shipped script's name (``"ddp"``) or a path to a script that calls ``dlbook_worker.run``.
        nproc: number of processes (ranks), >= 1.
        args: command-line arguments passed to the script.
        timeout: seconds before the job is killed (it then raises :class:`LaunchTimeout`).
        env: extra environment variables for the job.
        backend: force ``"gloo"`` or ``"nccl"`` (sets ``DLBOOK_DIST_BACKEND``); default: NCCL on CUDA, else gloo.

    Returns:
        A list of ``nproc`` dicts, element r written by rank r.

    Raises:
        ValueError: on a bad ``nproc`` or ``timeout``.
        LaunchError: if torchrun or a rank fails (with the rank's traceback), or a rank wrote no result.
        LaunchTimeout: if the job ran past ``timeout`` (all its processes are killed first).
    """
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"nproc must be an int >= 1, got {nproc!r}")
    if not timeout or timeout <= 0:
        raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
    path = script_path(script)
    with tempfile.TemporaryDirectory(prefix="dlbook_dist_") as tmp:
        out = Path(tmp)
        environ = dict(os.environ)
        environ.setdefault("OMP_NUM_THREADS", "1")  # torchrun's own default, set here to silence its banner
        environ.update(env or {})
        environ[OUT_ENV] = str(out)
        if backend is not None:
            environ[BACKEND_ENV] = backend
        # torchrun is `python -m torch.distributed.run`: the same interpreter as the caller's
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               str(path), *map(str, args)]
        with open(out / "stdout.txt", "w+") as so, open(out / "stderr.txt", "w+") as se:
            proc = subprocess.Popen(cmd, stdout=so, stderr=se, env=environ, start_new_session=True,
                                    cwd=str(path.parent))
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_everything(proc, out)
                raise LaunchTimeout(f"{path.name} on {nproc} processes ran past {timeout:g} s and was killed"
                                    f"\n--- torchrun stderr (tail) ---\n{_tail(out / 'stderr.txt')}") from None
            except BaseException:  # e.g. KeyboardInterrupt in a notebook: leave nothing running
                _kill_everything(proc, out)
                raise
            _kill_everything(proc, out)
        errors = sorted(out.glob("rank*.error"))
        missing = [r for r in range(nproc) if not (out / f"rank{r}.json").exists()]
        if proc.returncode != 0 or errors or missing:
            parts = [f"{path.name} on {nproc} processes failed (torchrun exit code {proc.returncode})"]
            parts += [f"--- {e.stem} traceback ---\n{e.read_text()}" for e in errors]
            if missing and not errors:
                parts.append(f"ranks {missing} wrote no result")
            parts.append(f"--- torchrun stderr (tail) ---\n{_tail(out / 'stderr.txt')}")
            raise LaunchError("\n".join(parts))
        return [json.loads((out / f"rank{r}.json").read_text()) for r in range(nproc)]


def _tail(path: Path, chars: int = 4000) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-chars:]
