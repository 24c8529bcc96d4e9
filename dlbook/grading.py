"""Graded exercises: in-notebook feedback for learners and batch grading for instructors.

The exercises are written in otter-grader's ``otter assign`` format (Berkeley's Data 8 uses
otter). This module is the thin glue that closes two gaps of otter for this course:

* **Feedback anywhere, Colab included.** A student notebook calls
  ``grader = grading.notebook("ex01_neurons")`` and then ``grader.check("q1")``. The *public*
  tests ship inside this package (``dlbook/exercise_tests/<exercise>/``), so a notebook opened
  in Colab gets them by ``pip install "dlbook[grade]"`` without cloning the repository.
* **Batch grading without Docker, with a time limit.** ``otter grade`` needs Docker and
  ``otter run`` grades one submission with no time limit and with the tests in the directory
  the submission runs in, where a submission can read or overwrite them. :func:`grade_batch`
  runs every submission in its own subprocess and Jupyter kernel with a per-cell and a
  per-submission time limit, in an empty temporary directory. The hidden tests are read once,
  before any submission runs, reach the worker through a pipe and the kernel only inside the
  grading cells that run after the submission's own cells: a fresh copy for each submission,
  never a file on disk that the notebook (or a submission graded beside it) could read or
  overwrite. Scores come back on the worker's stdout tagged with a secret the kernel never
  sees, so a submission cannot forge them. One broken submission (syntax error, exception, infinite loop, killed kernel, unreadable
  file) gets a row with a status and zeros where it failed; the batch goes on.

Limits: the submission runs as the grading user, in the same Python process as the tests (as in
``otter run``). A submission that deliberately tampers with the interpreter (monkey-patching
``doctest`` or ``json``) could still fake a pass: grade for credit inside a throw-away container
or VM, and keep the masters (which hold the hidden tests) out of the learners' repository.

Command line (what ``make grade`` calls)::

    python -m dlbook.grading exercises/autograders/ex01_neurons SUBMISSIONS_DIR --timeout 300

Reference: otter-grader, https://otter-grader.readthedocs.io (assign format, OK test files).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "SubmissionResult",
    "exercises",
    "tests_dir",
    "notebook",
    "load_tests",
    "grade_submission",
    "grade_batch",
    "write_csv",
    "main",
]

EXERCISE_TESTS = "exercise_tests"
_MARKER = "DLBOOK-GRADE"


# --------------------------------------------------------------------------------------------
# Learner side: feedback in the notebook
# --------------------------------------------------------------------------------------------


def exercises() -> list[str]:
    """Names of the exercises whose public tests ship with this package, sorted."""
    root = resources.files("dlbook") / EXERCISE_TESTS
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def tests_dir(exercise: str) -> Path:
    """Directory of the public tests of ``exercise`` inside the installed dlbook package.

    Args:
        exercise: an exercise name such as ``"ex01_neurons"``.

    Raises:
        TypeError: if ``exercise`` is not a string.
        ValueError: if no public tests ship for that exercise.
    """
    if not isinstance(exercise, str):
        raise TypeError(f"exercise must be a str such as 'ex01_neurons', got {type(exercise).__name__}")
    known = exercises()
    if exercise not in known:
        raise ValueError(f"unknown exercise {exercise!r}; expected one of {known}")
    return Path(str(resources.files("dlbook") / EXERCISE_TESTS / exercise))


def notebook(exercise: str):
    """An otter ``Notebook`` grader whose ``check("qN")`` runs the public tests of ``exercise``.

    Args:
        exercise: an exercise name such as ``"ex01_neurons"``.

    Returns:
        ``otter.Notebook`` pointed at ``dlbook/exercise_tests/<exercise>/``.

    Raises:
        ImportError: if otter-grader is missing (install ``dlbook[grade]``).
    """
    path = tests_dir(exercise)
    if os.environ.get("DLBOOK_GRADING") == "1":
        # Batch grading runs the hidden tests after the notebook; in-notebook checks would only
        # cost time (importing otter takes seconds), so they do nothing there.
        return _SilentGrader()
    try:
        import otter
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('the exercises need otter-grader: pip install "dlbook[grade]"') from err
    # nb_path stays None: in Colab the notebook file is not on the kernel's disk.
    return otter.Notebook(tests_dir=str(path))


class _SilentGrader:
    """Stands in for ``otter.Notebook`` while a submission is being batch-graded."""

    def check(self, question: str, global_env: Any = None) -> None:
        return None

    def check_all(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


# --------------------------------------------------------------------------------------------
# Instructor side: batch grading
# --------------------------------------------------------------------------------------------


@dataclass
class SubmissionResult:
    """The grade of one submission.

    Attributes:
        submission: file name of the submission.
        scores: points earned per question (every question of the exercise, 0 when not reached).
        possible: points possible per question.
        status: ``"ok"``, ``"timeout"`` or ``"error: <reason>"``.
        seconds: wall time spent grading it.
    """

    submission: str
    scores: dict[str, float]
    possible: dict[str, float]
    status: str
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return round(sum(self.scores.values()), 6)

    @property
    def max_total(self) -> float:
        return round(sum(self.possible.values()), 6)


def _natural_key(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def load_tests(autograder: str | os.PathLike[str]) -> dict[str, str]:
    """Read an exercise's hidden test files into memory: ``{question: source}``.

    Reading them once, before any submission runs, means a submission that overwrites the
    files on disk cannot change how the rest of the batch is graded.

    Args:
        autograder: the exercise's autograder folder (``exercises/autograders/<ex>``, holding
            ``tests/q*.py``) or the ``tests`` folder itself.

    Raises:
        FileNotFoundError: if there are no test files there.
    """
    root = Path(autograder)
    folder = root / "tests" if (root / "tests").is_dir() else root
    files = sorted(folder.glob("*.py"), key=lambda p: _natural_key(p.stem))
    files = [f for f in files if f.name != "__init__.py"]
    if not files:
        raise FileNotFoundError(f"no test files (*.py) in {folder}; run `make exercises` first")
    return {f.stem: f.read_text(encoding="utf-8") for f in files}


def _resolve(tests: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Turn OK-format test sources into ``{question: {"cases": [{"code", "points"}], ...}}``.

    Points are resolved once, in the grading process, with otter's own rules
    (``OKTestFile.from_spec``), so the kernel that runs a submission never imports otter.
    """
    from otter.test_files.ok_test import OKTestFile

    out = {}
    for name, source in tests.items():
        env: dict[str, Any] = {}
        exec(compile(source, f"{name}.py", "exec"), env)  # our own test files, not a submission
        spec = OKTestFile.from_spec(env["test"], path=f"{name}.py")
        cases = [{"code": tc.body, "points": float(tc.points or 0.0)} for tc in spec.test_cases]
        out[name] = {
            "cases": cases,
            "all_or_nothing": bool(spec.all_or_nothing),
            "possible": float(sum(c["points"] for c in cases)),
        }
    return out


# Runs in the submission's kernel after its own cells: the same doctest semantics as otter's
# ``run_doctest``, without importing otter (which costs seconds per kernel). The test cases are
# written into the cell itself: no test file exists on disk while submissions run, so none can
# be read or overwritten, not even by another submission graded at the same time.
_GRADE_CELL = """\
def _dlbook_grade(_spec_json, _marker):
    import contextlib, doctest, io, json, sys
    spec = json.loads(_spec_json)
    score, passed_all = 0.0, True
    for i, case in enumerate(spec["cases"]):
        name = spec["name"] + " " + str(i)
        try:
            examples = [e for e in doctest.DocTestParser().parse(case["code"], name)
                        if isinstance(e, doctest.Example)]
            test = doctest.DocTest(examples, globals(), name, None, None, case["code"])
            runner = doctest.DocTestRunner(verbose=False)
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                failed = runner.run(test, clear_globs=False).failed
        except Exception:
            failed = 1
        if failed == 0:
            score += case["points"]
        else:
            passed_all = False
    if spec["all_or_nothing"] and not passed_all:
        score = 0.0
    sys.stdout.write(_marker + " " + json.dumps({"score": score, "passed": passed_all}) + "\\n")
    sys.stdout.flush()


_dlbook_grade(__SPEC__, __MARKER__)
"""


def _cell_error(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), str(out.get("evalue", ""))[:120]
    return None


def _worker(spec: dict[str, Any]) -> int:
    """Run inside the per-submission subprocess: execute the notebook, then grade it.

    Reports to the parent on stdout, one line per event, each starting with a secret the
    kernel is never given (so a submission writing to an inherited file descriptor cannot
    forge a score): each question's score as soon as it is known, then the status.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    secret = spec["secret"]
    tests: dict[str, dict[str, Any]] = spec["tests"]
    cell_timeout = float(spec["cell_timeout"])
    errors: list[tuple[int, str, str]] = []

    def report(**event: Any) -> None:
        sys.stdout.write(secret + " " + json.dumps(event) + "\n")
        sys.stdout.flush()

    try:
        nb = nbformat.read(spec["submission"], as_version=4)
    except Exception as err:  # not JSON, not a notebook
        report(status=f"error: unreadable notebook ({type(err).__name__})")
        return 0

    # The submission runs in an empty directory of its own: no tests beside it.
    run_dir = Path(spec["run_dir"])
    code_cells = [c for c in nb.cells if c.get("cell_type") == "code"]
    work = nbformat.v4.new_notebook()
    work.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    work.cells = [nbformat.v4.new_code_cell(c.get("source", "")) for c in code_cells]

    client = NotebookClient(
        work,
        timeout=max(1, int(round(cell_timeout))),  # nbclient wants whole seconds
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(run_dir)}},
    )
    timed_out = False
    try:
        with client.setup_kernel(env=spec.get("env")):
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
                        timed_out = True
                    errors.append((i, *err))

            # Only now do the hidden tests reach the kernel, inside the grading cells.
            nonce = f"{_MARKER}-{secrets.token_hex(8)}"
            for name, resolved in tests.items():
                payload = json.dumps({"name": name, **resolved})
                source = _GRADE_CELL.replace("__SPEC__", repr(payload)).replace("__MARKER__", repr(nonce))
                cell = nbformat.v4.new_code_cell(source)
                work.cells.append(cell)
                start = time.monotonic()
                try:
                    client.execute_cell(cell, len(work.cells) - 1)
                except DeadKernelError:
                    report(status=f"error: the kernel died while grading {name}")
                    return 0
                result = None
                for out in cell.get("outputs", []):
                    for line in str(out.get("text", "")).splitlines():
                        if line.startswith(nonce + " "):
                            result = json.loads(line[len(nonce) + 1 :])
                if result is None and time.monotonic() - start >= cell_timeout - 1:
                    timed_out = True
                report(question=name, score=float(result["score"]) if result else 0.0)
    except Exception as err:  # the kernel failed to start, ...
        report(status=f"error: {type(err).__name__}: {str(err)[:120]}")
        return 0
    if timed_out:
        status = "timeout"
    elif errors:
        i, ename, _ = errors[0]
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        status = f"error: {ename} in code cell {i + 1}{more}"
    else:
        status = "ok"
    report(status=status, errors=errors)
    return 0


# The worker loads this file on its own, not the dlbook package: importing dlbook would import
# torch and matplotlib in every worker (seconds each), and the worker needs neither.
_WORKER_BOOT = (
    "import importlib.util, json, sys\n"
    "spec = importlib.util.spec_from_file_location('dlbook_grading_worker', sys.argv[1])\n"
    "module = sys.modules['dlbook_grading_worker'] = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(module)\n"
    "sys.exit(module._worker(json.loads(sys.stdin.read())))\n"
)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _child_pids(parent: int) -> list[int]:
    """Processes whose parent is ``parent`` (the worker's kernel), from /proc or ``ps``.

    The kernel runs in a session of its own (jupyter_client starts it so), so killing the
    worker's process group would leave it running; it is found here rather than reported by the
    worker, so a submission cannot name another process for the grader to kill.
    """
    kids = []
    proc = Path("/proc")
    if proc.is_dir():
        for entry in proc.iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, IndexError):
                    continue
                if int(fields[1]) == parent:  # fields: state, ppid, ...
                    kids.append(int(entry.name))
        return kids
    try:
        out = subprocess.run(["ps", "-A", "-o", "pid=,ppid="], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return kids
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == str(parent):
            kids.append(int(parts[0]))
    return kids


def grade_submission(
    submission: str | os.PathLike[str],
    tests: dict[str, Any],
    timeout: float = 300.0,
    cell_timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> SubmissionResult:
    """Grade one notebook on hidden ``tests`` in a subprocess with a time limit. Never raises
    for a bad submission: the failure is in the result's ``status``.

    Args:
        submission: path to the ``.ipynb`` file.
        tests: ``{question: OK-format test source}`` from :func:`load_tests` (or already
            resolved by ``_resolve``, as :func:`grade_batch` does once for a whole batch).
        timeout: wall-clock limit in seconds for the whole submission (kernel start included).
        cell_timeout: limit per cell; a cell over it is interrupted and the next one runs.
            Default ``timeout / 3``.
        env: extra environment variables for the kernel. ``DLBOOK_GRADING=1`` is always set
            (``grading.notebook`` then skips the in-notebook checks) and progress bars are off.

    Returns:
        A :class:`SubmissionResult` with a score for every question in ``tests``.
    """
    if not isinstance(tests, dict) or not tests:
        raise TypeError("tests must be a non-empty dict {question: source}; use load_tests()")
    if any(isinstance(v, str) for v in tests.values()):
        tests = _resolve(tests)
    submission = Path(submission)
    possible = {q: t["possible"] for q, t in tests.items()}
    cell_timeout = float(cell_timeout if cell_timeout is not None else max(1.0, timeout / 3))
    kernel_env = dict(os.environ)
    kernel_env.setdefault("DLBOOK_PROGRESS", "0")
    kernel_env.setdefault("MPLBACKEND", "Agg")
    kernel_env.update(env or {})
    kernel_env["DLBOOK_GRADING"] = "1"
    start = time.monotonic()

    secret = secrets.token_hex(16)
    spec = {
        "submission": str(submission.resolve()),
        "tests": tests,
        "cell_timeout": cell_timeout,
        "env": kernel_env,
        "secret": secret,
    }
    workdir = tempfile.mkdtemp(prefix="dlbook-worker-")
    # Made here (with the kernel's TMPDIR) so that it is removed even when the worker is killed.
    run_dir = tempfile.mkdtemp(prefix="dlbook-run-", dir=kernel_env.get("TMPDIR") or None)
    spec["run_dir"] = run_dir
    proc = subprocess.Popen(
        [sys.executable, "-c", _WORKER_BOOT, str(Path(__file__).resolve())],
        cwd=workdir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # so that a timeout can kill the worker and all it started
        env=kernel_env,
    )
    timed_out, kernels = False, []
    try:
        # The tests go through a pipe, never through a file a submission could find.
        out, err = proc.communicate(json.dumps(spec).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        kernels = _child_pids(proc.pid)  # before the worker dies and its kernel is re-parented
        for pid in kernels:
            _kill_group(pid)
        _kill_group(proc.pid)
        out, err = proc.communicate()  # what the worker reported before the limit
    finally:
        _kill_group(proc.pid)
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(run_dir, ignore_errors=True)

    events = []
    for line in out.decode(errors="replace").splitlines():
        if line.startswith(secret + " "):
            try:
                events.append(json.loads(line[len(secret) + 1 :]))
            except ValueError:
                pass
    scores = {q: 0.0 for q in tests}
    status, errors = None, []
    for event in events:
        if "question" in event and event["question"] in scores:
            scores[event["question"]] = float(event["score"])
        if "status" in event:
            status, errors = event["status"], event.get("errors", [])
    if timed_out:
        status = "timeout"
    elif status is None:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        status = f"error: grader failed ({tail[0][:120]})"
    return SubmissionResult(
        submission=submission.name,
        scores=scores,
        possible=possible,
        status=status,
        seconds=time.monotonic() - start,
        details={"errors": errors, "killed": kernels},
    )


def grade_batch(
    submissions: str | os.PathLike[str],
    autograder: str | os.PathLike[str],
    timeout: float = 300.0,
    workers: int = 1,
    csv_path: str | os.PathLike[str] | None = None,
    cell_timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> list[SubmissionResult]:
    """Grade every ``.ipynb`` in ``submissions`` and write ``grades.csv`` there.

    Args:
        submissions: a folder of submitted notebooks (or a list of notebook paths).
        autograder: the exercise's autograder folder, see :func:`load_tests`.
        timeout: wall-clock limit per submission, seconds.
        workers: submissions graded at the same time.
        csv_path: where to write the grades; default ``<submissions>/grades.csv``.
        cell_timeout: per-cell limit, default ``timeout / 3``.
        env: extra environment variables for the workers and kernels (e.g. ``TMPDIR`` to keep
            their temporary folders somewhere private).

    Returns:
        One :class:`SubmissionResult` per notebook, in file-name order.
    """
    if isinstance(submissions, (list, tuple)):
        files = sorted((Path(p) for p in submissions), key=lambda p: p.name)
        folder = files[0].parent if files else Path(".")
    else:
        folder = Path(submissions)
        if not folder.is_dir():
            raise FileNotFoundError(f"submissions folder {folder} does not exist")
        files = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    tests = _resolve(load_tests(autograder))  # read once, before any submission can touch them
    possible = {q: t["possible"] for q, t in tests.items()}
    threads = max(1, (os.cpu_count() or 1) // workers)
    env = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), **(env or {})}

    def one(path: Path) -> SubmissionResult:
        try:
            return grade_submission(path, tests, timeout=timeout, cell_timeout=cell_timeout, env=env)
        except Exception as err:  # never let one submission stop the batch
            return SubmissionResult(path.name, {q: 0.0 for q in tests}, dict(possible),
                                    f"error: {type(err).__name__}: {err}"[:200])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, files))
    write_csv(results, csv_path or folder / "grades.csv", list(tests))
    return results


def _fmt(x: float) -> str:
    return f"{x:g}"


def write_csv(results: list[SubmissionResult], path: str | os.PathLike[str], questions: list[str]) -> Path:
    """Write one row per submission: submission, one column per question, total, possible, status."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", *questions, "total", "possible", "status"])
        for r in results:
            writer.writerow([r.submission, *(_fmt(r.scores.get(q, 0.0)) for q in questions),
                             _fmt(r.total), _fmt(r.max_total), r.status])
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dlbook.grading",
        description="Grade every notebook in a folder; writes <folder>/grades.csv.",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("autograder", nargs="?", help="exercises/autograders/<exercise> (or its tests/)")
    parser.add_argument("submissions", nargs="?", help="folder of submitted .ipynb files")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per submission (300)")
    parser.add_argument("--cell-timeout", type=float, default=None, help="seconds per cell (timeout/3)")
    parser.add_argument("--workers", type=int, default=1, help="submissions graded in parallel (1)")
    parser.add_argument("--csv", default=None, help="output file (default <submissions>/grades.csv)")
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(json.loads(sys.stdin.read()))
    if not args.autograder or not args.submissions:
        parser.error("give the autograder folder and the submissions folder")
    results = grade_batch(args.submissions, args.autograder, timeout=args.timeout,
                          workers=args.workers, csv_path=args.csv, cell_timeout=args.cell_timeout)
    out = Path(args.csv) if args.csv else Path(args.submissions) / "grades.csv"
    for r in results:
        print(f"{r.submission:40s} {_fmt(r.total):>6s}/{_fmt(r.max_total):<6s} {r.status}")
    print(f"wrote {out} ({len(results)} submissions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
