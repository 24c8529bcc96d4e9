"""Instructor side: batch grading whose verdicts a submission cannot forge.

How one batch is graded (:func:`grade_batch`):

1. The hidden tests are read once (:func:`load_tests`) and parsed into declarations
   (:mod:`dlbook.grading.declare`): per hidden test case, the calls to make and how to judge them.
2. A seed is drawn (``secrets``) and every call's inputs are drawn from it, in the grader.
3. The master solution runs in a kernel of its own, before any submission, and answers every
   call: the reference answers. A master that fails its own tests stops the batch.
4. Each submission runs in a fresh working folder, in a sandboxed kernel (``_sandbox.py``:
   memory and CPU limits, Landlock file and network rules where Linux has them) driven by a
   worker process (``_worker.py``) with a time limit; then the same calls run in its kernel.
   The answers come back as plain data (JSON, and arrays as ``.npy`` read without pickle).
5. The grader judges each answer in its own process, against the master's answer with the
   declared tolerance or with the declared check; one submission's crash, loop, exit or
   tampering only changes its own row.
"""

from __future__ import annotations

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
from pathlib import Path
from typing import Any

from . import codec
from .declare import DeclarationError, Draw, Probe, judge, parse_declarations

HERE = Path(__file__).resolve().parent
_CODEC_SOURCE = (HERE / "codec.py").read_text(encoding="utf-8")
DEFAULT_MEMORY_MB = 6144.0


@dataclass
class SubmissionResult:
    """The grade of one submission.

    Attributes:
        submission: file name of the submission.
        scores: points earned per question (every question of the exercise, 0 when not reached).
        possible: points possible per question.
        status: ``"ok"``, ``"timeout"`` or ``"error: <reason>"``.
        seconds: wall time spent grading it.
        details: ``errors`` (cell errors), ``failed`` (why each failed call failed), ``killed``
            (kernel processes killed at the limit), ``sandbox``.
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


@dataclass
class Case:
    """One scored hidden test case: its points and the probes (by id) that must all pass."""

    points: float
    probes: list[str]


@dataclass
class Question:
    name: str
    cases: list[Case]
    all_or_nothing: bool

    @property
    def possible(self) -> float:
        return float(sum(c.points for c in self.cases))


@dataclass
class HiddenTests:
    """An exercise's hidden tests, ready to grade a batch: declarations, inputs, references.

    Made by :func:`prepare`; the inputs are drawn once per batch from ``seed``.
    """

    questions: dict[str, Question]
    probes: dict[str, Probe]
    seed: int
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    sent: dict[str, dict[str, dict]] = field(default_factory=dict, repr=False)
    reference: dict[str, dict] = field(default_factory=dict, repr=False)

    @property
    def possible(self) -> dict[str, float]:
        return {q: t.possible for q, t in self.questions.items()}


def _natural_key(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def load_tests(autograder: str | os.PathLike[str]) -> dict[str, str]:
    """Read an exercise's test files into memory: ``{question: source}``.

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


def resolve(tests: dict[str, str], exercise: str = "") -> tuple[dict[str, Question], dict[str, Probe]]:
    """Parse OK-format test sources into questions and probe declarations.

    Points follow otter's own rules (``OKTestFile.from_spec``). Public cases must be worth
    0 points (they run in the learner's notebook, where they can be forged); every hidden case
    must be a declaration (:func:`~dlbook.grading.declare.parse_declarations`).

    Raises:
        DeclarationError: on a scored public case or a hidden case in the old form.
    """
    from otter.test_files.ok_test import OKTestFile

    questions: dict[str, Question] = {}
    probes: dict[str, Probe] = {}
    for name, source in tests.items():
        env: dict[str, Any] = {}
        exec(compile(source, f"{name}.py", "exec"), env)  # our own test files, not a submission
        spec = OKTestFile.from_spec(env["test"], path=f"{name}.py")
        raw_cases = [c for suite in env["test"]["suites"] for c in suite["cases"]]
        cases = []
        for i, (tc, raw) in enumerate(zip(spec.test_cases, raw_cases)):
            points = float(tc.points or 0.0)
            where = f"{exercise} {name} hidden test {i}".strip()
            if not raw.get("hidden", False):
                if points:
                    raise DeclarationError(f"{exercise} {name} public test {i} is worth {points:g} points; "
                                           "public tests run in the learner's kernel and must have points: 0")
                continue
            ids = []
            for j, p in enumerate(parse_declarations(tc.body, where)):
                pid = f"{name}.{i}.{j}"
                probes[pid] = p
                ids.append(pid)
            cases.append(Case(points, ids))
        questions[name] = Question(name, cases, bool(spec.all_or_nothing))
    return questions, probes


def _draw_inputs(hidden: HiddenTests) -> None:
    for pid, p in hidden.probes.items():
        values = p.inputs(Draw.for_probe(hidden.seed, pid)) if p.inputs else {}
        if not isinstance(values, dict) or not all(isinstance(k, str) and k.isidentifier() for k in values):
            raise DeclarationError(f"hidden test {pid}: inputs(r) must return a dict of variable names")
        missing = [n for n in (*p.private, *p.unchanged) if n not in values]
        if missing:
            raise DeclarationError(f"hidden test {pid}: private/unchanged names {missing} are not inputs")
        hidden.inputs[pid] = values
        hidden.sent[pid] = {k: codec.encode(v) for k, v in values.items() if k not in p.private}


def prepare(
    autograder: str | os.PathLike[str] | dict[str, str],
    master: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    timeout: float = 300.0,
    cell_timeout: float | None = None,
    env: dict[str, str] | None = None,
    memory_mb: float | None = DEFAULT_MEMORY_MB,
) -> HiddenTests:
    """Read, parse and draw an exercise's hidden tests, and compute the master's answers.

    Args:
        autograder: the autograder folder (its ``tests/`` and its solutions notebook
            ``<exercise>.ipynb``) or ``{question: OK-format source}``.
        master: the solutions notebook; default the one ``.ipynb`` in ``autograder``.
        seed: the seed of the inputs; default a fresh random one (``secrets``).
        timeout, cell_timeout, env, memory_mb: limits for the master's run, as for
            :func:`grade_submission`.

    Raises:
        DeclarationError: if a hidden test is not a valid declaration.
        RuntimeError: if the master does not pass its own hidden tests, or a call needs the
            master's answer and there is no master.
    """
    exercise = ""
    if isinstance(autograder, dict):
        sources = autograder
    else:
        sources = load_tests(autograder)
        folder = Path(autograder)
        exercise = folder.name if folder.name != "tests" else folder.parent.name
        if master is None:
            found = sorted(folder.glob("*.ipynb"))
            master = found[0] if len(found) == 1 else None
    questions, probes = resolve(sources, exercise)
    hidden = HiddenTests(questions, probes, secrets.randbits(62) if seed is None else int(seed))
    _draw_inputs(hidden)
    if master is None:
        needy = [pid for pid, p in probes.items() if p.needs_reference]
        if needy:
            raise RuntimeError(f"hidden tests {needy} compare with the master's answers: give the master notebook")
        return hidden
    run = _execute(Path(master), hidden, timeout, cell_timeout, env, memory_mb)
    hidden.reference = {pid: reply for pid, reply in run.replies.items() if reply is not None}
    failed = {pid: why for pid, (ok, why) in _verdicts(hidden, run.replies).items() if not ok}
    for pid, reply in hidden.reference.items():
        # A reference that is an exception would let every submission pass by failing the same
        # way (a typo in the probe's code): expected exceptions are declared with raises=.
        node = reply.get("answer") if isinstance(reply, dict) else None
        if probes[pid].needs_reference and isinstance(node, dict) and node.get("k") == "raised":
            failed[pid] = f"the master raised {node.get('types', ['?'])[0]}: {node.get('msg', '')[:100]}"
    if failed:
        raise RuntimeError(f"the master {Path(master).name} fails its own hidden tests ({run.status}): {failed}")
    return hidden


def _verdicts(hidden: HiddenTests, replies: dict[str, dict | None]) -> dict[str, tuple[bool, str]]:
    return {pid: judge(p, replies.get(pid), hidden.reference.get(pid), hidden.inputs[pid], hidden.sent[pid])
            for pid, p in hidden.probes.items()}


def _score(hidden: HiddenTests, verdicts: dict[str, tuple[bool, str]]) -> dict[str, float]:
    scores = {}
    for q, question in hidden.questions.items():
        passed = [all(verdicts[pid][0] for pid in case.probes) for case in question.cases]
        score = sum(case.points for case, ok in zip(question.cases, passed) if ok)
        scores[q] = 0.0 if question.all_or_nothing and not all(passed) else float(score)
    return scores


# --------------------------------------------------------------------------------------------
# Running one notebook: worker process, sandboxed kernel
# --------------------------------------------------------------------------------------------


@dataclass
class _Execution:
    replies: dict[str, dict | None]
    status: str
    errors: list
    killed: list[int]
    seconds: float


def _probe_cell(hidden: HiddenTests, pid: str, marker: str) -> str:
    p = hidden.probes[pid]
    payload = json.dumps({"code": p.code, "inputs": hidden.sent[pid], "after": list(p.unchanged)})
    return (
        "def _dlbook_probe():\n"
        "    _codec = {'__name__': 'dlbook_codec'}\n"
        f"    exec({_CODEC_SOURCE!r}, _codec)\n"
        f"    _codec['run_probe'](globals(), {payload!r}, {marker!r})\n"
        "\n"
        "\n"
        "_dlbook_probe()\n"
        "del _dlbook_probe\n"
    )


def _read_paths() -> list[str]:
    """What a sandboxed kernel may read: Python, its packages, dlbook, the system folders."""
    import site

    import dlbook

    paths = {sys.prefix, sys.base_prefix, str(Path(os.path.realpath(sys.executable)).parent.parent),
             str(Path(dlbook.__file__).resolve().parent)}
    paths.update(site.getsitepackages())
    for p in ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev"):
        paths.add(p)
    return sorted(p for p in paths if os.path.exists(p))


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _child_pids(parent: int) -> list[int]:
    """Processes whose parent is ``parent`` (the worker's kernel), from /proc or ``ps``."""
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


def _kill_leftovers(run_dir: Path) -> list[int]:
    """Kill what a submission left running (a daemon that left the kernel's session), found by
    the ``HOME`` its kernel was started with; returns their pids. Linux only (``/proc``)."""
    mark, killed = f"HOME={run_dir}".encode(), []
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        return killed
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if mark in environ.split(b"\0"):
            _kill_group(int(entry.name))
            killed.append(int(entry.name))
    return killed


def _execute(notebook: Path, hidden: HiddenTests, timeout: float, cell_timeout: float | None,
             env: dict[str, str] | None, memory_mb: float | None, landlock: bool = True) -> _Execution:
    """Run ``notebook`` then every probe of ``hidden`` in a fresh sandboxed kernel; never raises
    for a bad notebook. Returns the raw replies (parsed JSON, not judged)."""
    cell_timeout = float(cell_timeout if cell_timeout is not None else max(1.0, timeout / 3))
    base_env = dict(os.environ)
    base_env.update(env or {})
    start = time.monotonic()
    secret, marker = secrets.token_hex(16), f"DLBOOK-ANSWER-{secrets.token_hex(8)}"
    work_dir = tempfile.mkdtemp(prefix="dlbook-worker-")  # the worker's: the kernel cannot read it
    run_dir = Path(tempfile.mkdtemp(prefix="dlbook-run-", dir=base_env.get("TMPDIR") or None))
    for sub in ("tmp", ".ipython", ".mpl", ".runtime"):
        (run_dir / sub).mkdir()
    kernel_env = {k: v for k, v in base_env.items() if not k.startswith(("JPY_", "JUPYTER_"))}
    kernel_env.setdefault("DLBOOK_PROGRESS", "0")
    kernel_env.setdefault("MPLBACKEND", "Agg")
    kernel_env.update({
        "DLBOOK_GRADING": "1", "HOME": str(run_dir), "TMPDIR": str(run_dir / "tmp"),
        "IPYTHONDIR": str(run_dir / ".ipython"), "MPLCONFIGDIR": str(run_dir / ".mpl"),
        "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
    })
    job = {
        "submission": str(notebook.resolve()),
        "run_dir": str(run_dir),
        "work_dir": work_dir,
        "cell_timeout": cell_timeout,
        "env": kernel_env,
        "secret": secret,
        "marker": marker,
        "probes": [(pid, _probe_cell(hidden, pid, marker)) for pid in hidden.probes],
        "sandbox": {"read": _read_paths(), "write": [str(run_dir), "/dev/null"], "landlock": landlock,
                    "memory_mb": memory_mb, "cpu_seconds": timeout},
    }
    worker_env = {k: v for k, v in base_env.items() if not k.startswith("JUPYTER_")}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "_worker.py")],
        cwd=work_dir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # so that a timeout can kill the worker and all it started
        env=worker_env,
    )
    timed_out, killed = False, []
    try:
        out, err = proc.communicate(json.dumps(job).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        killed = _child_pids(proc.pid)  # before the worker dies and its kernel is re-parented
        for pid in killed:
            _kill_group(pid)
        _kill_group(proc.pid)
        out, err = proc.communicate()  # what the worker reported before the limit
    finally:
        _kill_group(proc.pid)
        killed += _kill_leftovers(run_dir)

    replies: dict[str, dict | None] = {pid: None for pid in hidden.probes}
    status, errors = None, []
    for line in out.decode(errors="replace").splitlines():
        if not line.startswith(secret + " "):
            continue
        try:
            event = json.loads(line[len(secret) + 1:])
        except ValueError:
            continue
        if "kernel_pid" in event:
            pid = int(event["kernel_pid"])
            _kill_group(pid)  # a kernel that outlived its worker goes now
            if timed_out:
                killed.append(pid)
        if event.get("probe") in replies and isinstance(event.get("answer"), str):
            try:
                reply = json.loads(event["answer"])  # plain data; arrays stay base64 .npy text
            except (ValueError, RecursionError):  # not JSON, or nested beyond Python's stack
                reply = None
            replies[event["probe"]] = reply if isinstance(reply, dict) else None
        if "status" in event:
            status, errors = event["status"], event.get("errors", [])
    shutil.rmtree(work_dir, ignore_errors=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    if timed_out and status is None:  # a status already reported means the grading was complete
        status = "timeout"
    elif status is None:
        tail = err.decode(errors="replace").strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        status = f"error: grader failed ({tail[0][:120]})"
    return _Execution(replies, status, errors, sorted(set(killed)), time.monotonic() - start)


def grade_submission(
    submission: str | os.PathLike[str],
    tests: HiddenTests | dict[str, str],
    timeout: float = 300.0,
    cell_timeout: float | None = None,
    env: dict[str, str] | None = None,
    memory_mb: float | None = DEFAULT_MEMORY_MB,
) -> SubmissionResult:
    """Grade one notebook on hidden ``tests``, in a sandboxed kernel with time and memory limits.
    Never raises for a bad submission: the failure is in the result's ``status``.

    Args:
        submission: path to the ``.ipynb`` file.
        tests: :class:`HiddenTests` from :func:`prepare` (as :func:`grade_batch` makes once for a
            batch), or ``{question: OK-format source}`` whose probes all declare ``check`` or
            ``raises`` (no master answers needed).
        timeout: wall-clock limit in seconds for the whole submission (kernel start included).
        cell_timeout: limit per cell; a cell over it is interrupted and the next one runs.
            Default ``timeout / 3``.
        env: extra environment variables for the kernel. ``DLBOOK_GRADING=1`` is always set
            (``grading.notebook`` then skips the in-notebook checks) and progress bars are off.
        memory_mb: address-space limit of the kernel, MiB (None: no limit).

    Returns:
        A :class:`SubmissionResult` with a score for every question.
    """
    if isinstance(tests, dict):
        if not tests:
            raise TypeError("tests must be HiddenTests from prepare() or a non-empty dict {question: source}")
        tests = prepare(tests)
    if not isinstance(tests, HiddenTests):
        raise TypeError(f"tests must be HiddenTests from prepare(), got {type(tests).__name__}")
    submission = Path(submission)
    run = _execute(submission, tests, timeout, cell_timeout, env, memory_mb)
    verdicts = _verdicts(tests, run.replies)
    return SubmissionResult(
        submission=submission.name,
        scores=_score(tests, verdicts),
        possible=tests.possible,
        status=run.status,
        seconds=run.seconds,
        details={"errors": run.errors, "killed": run.killed,
                 "failed": {pid: why for pid, (ok, why) in verdicts.items() if not ok}},
    )


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def grade_batch(
    submissions: str | os.PathLike[str] | list,
    autograder: str | os.PathLike[str],
    timeout: float = 300.0,
    workers: int | None = None,
    csv_path: str | os.PathLike[str] | None = None,
    cell_timeout: float | None = None,
    env: dict[str, str] | None = None,
    seed: int | None = None,
    memory_mb: float | None = DEFAULT_MEMORY_MB,
) -> list[SubmissionResult]:
    """Grade every ``.ipynb`` in ``submissions`` and write ``grades.csv`` there.

    Args:
        submissions: a folder of submitted notebooks (or a list of notebook paths).
        autograder: the exercise's autograder folder (``tests/`` and the solutions notebook).
        timeout: wall-clock limit per submission, seconds.
        workers: submissions graded at the same time; default one per available core.
        csv_path: where to write the grades; default ``<submissions>/grades.csv``.
        cell_timeout: per-cell limit, default ``timeout / 3``.
        env: extra environment variables for the workers and kernels.
        seed: the seed of the hidden inputs; default a fresh random one.
        memory_mb: address-space limit of each kernel, MiB.

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
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    threads = max(1, default_workers() // workers)
    env = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), **(env or {})}
    # Read, drawn and answered by the master once, before any submission runs.
    hidden = prepare(autograder, seed=seed, timeout=timeout, cell_timeout=cell_timeout, env=env,
                     memory_mb=memory_mb)
    possible = hidden.possible

    def one(path: Path) -> SubmissionResult:
        try:
            return grade_submission(path, hidden, timeout=timeout, cell_timeout=cell_timeout, env=env,
                                    memory_mb=memory_mb)
        except Exception as err:  # never let one submission stop the batch
            return SubmissionResult(path.name, {q: 0.0 for q in possible}, dict(possible),
                                    f"error: {type(err).__name__}: {err}"[:200])

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, files))
    write_csv(results, csv_path or folder / "grades.csv", list(possible))
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
