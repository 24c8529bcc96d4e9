"""Instructor side: batch grading whose verdicts a submission cannot forge.

How one batch is graded (:func:`grade_batch`):

1. The hidden tests are read once (:func:`load_tests`) and parsed into declarations
   (:mod:`dlbook.grading.declare`): per hidden test case, the calls to make and how to judge them.
2. A seed is drawn (``secrets``) and every call's inputs are drawn from it, in the grader.
3. The master solution runs in a kernel of its own, before any submission, and answers every
   call: the reference answers. A master that fails its own tests stops the batch.
4. Each submission runs in a fresh kernel inside a sandbox (``_isolation.py`` and
   ``_sandbox.py``: bubblewrap namespaces, a control group for memory and processes, its own
   user, resource limits, Landlock) driven by a worker process (``_worker.py``) with a time
   limit; then the same calls run in its kernel. The answers come back as plain data (JSON,
   and arrays as ``.npy`` read without pickle), capped in size before they are parsed.
5. The grader judges each answer in its own process, against the master's answer with the
   declared tolerance or with the declared check; one submission's crash, loop, exit or
   tampering only changes its own row.
6. ``grades.csv`` gets one row per submission (text cells made safe for spreadsheets), and a
   sidecar ``grades.json`` records the seed and the sandbox mode: ``--seed`` regrades the
   batch identically, and ``--shard K/N`` with :func:`merge` splits a class across machines.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _isolation, codec
from ._sandbox import landlock_abi
from .declare import DeclarationError, Draw, Probe, judge, parse_declarations

HERE = Path(__file__).resolve().parent
_CODEC_SOURCE = (HERE / "codec.py").read_text(encoding="utf-8")
DEFAULT_MEMORY_MB = 6144.0  # per submission: the control group's limit, and each process's address space
DEFAULT_PIDS = 256  # processes and threads per submission (a kernel with torch uses about 20-40)
DEFAULT_FILE_MB = 256.0  # largest file a kernel may write
DEFAULT_HOME_MB = 512.0  # its writable folder (a tmpfs, counted in the memory limit)
MASTER_REPLY_BYTES = 64 * 2**20  # per probe, for the master
DEFAULT_MAX_REPLY_MB = 256.0  # all the replies of one submission, at most
MAX_STATUS_CHARS = 160


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made here and ``unsafe_no_sandbox`` was not given."""


@dataclass
class SubmissionResult:
    """The grade of one submission.

    Attributes:
        submission: file name of the submission.
        scores: points earned per question (every question of the exercise, 0 when not reached).
        possible: points possible per question.
        status: ``"ok"``, ``"timeout"`` or ``"error: <reason>"``: one line, at most
            ``MAX_STATUS_CHARS`` characters, control characters escaped.
        seconds: wall time spent grading it.
        details: ``errors`` (cell errors), ``failed`` (why each failed call failed), ``killed``
            (processes killed when it ended), ``sandbox`` (the mode that graded it).
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
    reply_bytes: dict[str, int] = field(default_factory=dict, repr=False)  # the master's, per probe
    inputs_again: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # redraw=: 2nd call
    sent_again: dict[str, dict[str, dict]] = field(default_factory=dict, repr=False)
    exercise: str = ""

    def reply_caps(self) -> dict[str, int]:
        """Bytes a submission may answer per probe: 8 times the master's answer, at least 1 MiB."""
        return {pid: max(2**20, 8 * self.reply_bytes.get(pid, MASTER_REPLY_BYTES // 8)) for pid in self.probes}

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
        if any(_raises_only(c, probes) for c in cases) and all(_raises_only(c, probes) for c in cases):
            raise DeclarationError(f"{exercise} {name}: every hidden test declares raises=; a test that only "
                                   "checks an error scores with the question's value tests, and it has none".strip())
        questions[name] = Question(name, cases, bool(spec.all_or_nothing))
    return questions, probes


def _raises_only(case: Case, probes: dict[str, Probe]) -> bool:
    return bool(case.probes) and all(probes[pid].raises is not None for pid in case.probes)


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
        if p.redraw:
            second = p.inputs(Draw.for_probe(hidden.seed, pid + "/again"))
            if not isinstance(second, dict) or any(n not in second for n in p.redraw):
                raise DeclarationError(f"hidden test {pid}: redraw names {list(p.redraw)} are not inputs")
            hidden.inputs_again[pid] = {**values, **{n: second[n] for n in p.redraw}}
            hidden.sent_again[pid] = {n: codec.encode(second[n]) for n in p.redraw if n not in p.private}


def prepare(
    autograder: str | os.PathLike[str] | dict[str, str],
    master: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    timeout: float = 300.0,
    cell_timeout: float | None = None,
    env: dict[str, str] | None = None,
    memory_mb: float | None = DEFAULT_MEMORY_MB,
    unsafe_no_sandbox: bool = False,
) -> HiddenTests:
    """Read, parse and draw an exercise's hidden tests, and compute the master's answers.

    Args:
        autograder: the autograder folder (its ``tests/`` and its solutions notebook
            ``<exercise>.ipynb``) or ``{question: OK-format source}``.
        master: the solutions notebook; default the one ``.ipynb`` in ``autograder``.
        seed: the seed of the inputs; default a fresh random one (``secrets``).
        timeout, cell_timeout, env, memory_mb, unsafe_no_sandbox: for the master's run, as for
            :func:`grade_submission`.

    Raises:
        DeclarationError: if a hidden test is not a valid declaration.
        RuntimeError: if the master does not pass its own hidden tests, or a call needs the
            master's answer and there is no master.
        SandboxUnavailable: if no sandbox can be made here and ``unsafe_no_sandbox`` is False.
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
    hidden = HiddenTests(questions, probes, secrets.randbits(62) if seed is None else int(seed), exercise=exercise)
    _draw_inputs(hidden)
    if master is None:
        needy = [pid for pid, p in probes.items() if p.needs_reference]
        if needy:
            raise RuntimeError(f"hidden tests {needy} compare with the master's answers: give the master notebook")
        return hidden
    run = _execute(Path(master), hidden, timeout, cell_timeout, env, memory_mb, unsafe_no_sandbox=unsafe_no_sandbox,
                   caps={pid: MASTER_REPLY_BYTES for pid in probes}, max_reply=len(probes) * MASTER_REPLY_BYTES)
    hidden.reference = {pid: reply for pid, reply in run.replies.items() if reply is not None}
    hidden.reply_bytes = dict(run.sizes)
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
    return {pid: judge(p, replies.get(pid), hidden.reference.get(pid), hidden.inputs[pid], hidden.sent[pid],
                       hidden.inputs_again.get(pid))
            for pid, p in hidden.probes.items()}


def _score(hidden: HiddenTests, verdicts: dict[str, tuple[bool, str]]) -> dict[str, float]:
    """Points per question. A case made only of ``raises=`` probes counts only when every other
    case of its question passes: raising an error, alone, earns nothing."""
    scores = {}
    for q, question in hidden.questions.items():
        passed = [all(verdicts[pid][0] for pid in case.probes) for case in question.cases]
        values_pass = all(ok for case, ok in zip(question.cases, passed) if not _raises_only(case, hidden.probes))
        passed = [ok and (values_pass or not _raises_only(case, hidden.probes))
                  for case, ok in zip(question.cases, passed)]
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
    sandbox: str = ""
    sizes: dict[str, int] = field(default_factory=dict)


def _probe_cell(hidden: HiddenTests, pid: str, marker: str) -> str:
    p = hidden.probes[pid]
    payload = json.dumps({"code": p.code, "inputs": hidden.sent[pid], "after": list(p.unchanged),
                          "again": hidden.sent_again.get(pid, {})})
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


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def _child_pids(parent: int) -> list[int]:
    """Processes whose parent is ``parent`` (the worker's kernel launcher), from /proc."""
    kids = []
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        return kids
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == parent:  # fields: state, ppid, ...
                kids.append(int(entry.name))
    return kids


def _kill_leftovers(run_dir: Path) -> list[int]:
    """Without a sandbox only: kill what a submission left running, found by the ``HOME`` its
    kernel was started with (a process that rewrites its environment escapes this: the
    sandbox's PID namespace and control group are what make sure nothing outlives it)."""
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


_SLOTS: set[int] = set()
_SLOTS_LOCK = threading.Lock()


def _take_slot() -> int:
    with _SLOTS_LOCK:
        slot = next(i for i in range(len(_SLOTS) + 1) if i not in _SLOTS)
        _SLOTS.add(slot)
        return slot


def _free_slot(slot: int) -> None:
    with _SLOTS_LOCK:
        _SLOTS.discard(slot)


def sandbox_mode(unsafe_no_sandbox: bool = False) -> str:
    """How kernels would be isolated here (the CSV's ``sandbox`` column), e.g.
    ``bwrap+root-dropped+cgroup-v1+landlock7``.

    Raises:
        SandboxUnavailable: if bubblewrap cannot run here and ``unsafe_no_sandbox`` is False.
    """
    if unsafe_no_sandbox:
        return _isolation.describe(False, None, False, landlock_abi())
    ok, why = _isolation.check_bwrap()
    if not ok:
        raise SandboxUnavailable(
            f"no sandbox for the submissions' kernels: {why}. Install bubblewrap (Debian/Ubuntu: "
            "apt-get install bubblewrap; `make grade` does it as root), or grade with --unsafe-no-sandbox "
            "(unsafe_no_sandbox=True) on a machine you can throw away: see exercises/README.md")
    group = _isolation.Cgroup.create(64, 16)
    kind = group.kind if group else None
    if group:
        group.remove()
    return _isolation.describe(True, kind, True, landlock_abi())


def _kernel_env(env: dict[str, str] | None, home: str, tmp: str) -> dict[str, str]:
    """The kernel's whole environment: an allow-list of the grader's, ``env``, and ours."""
    kernel_env = {k: os.environ[k] for k in _isolation.ENV_ALLOW if k in os.environ}
    kernel_env.update(env or {})
    kernel_env.setdefault("DLBOOK_PROGRESS", "0")
    kernel_env.setdefault("MPLBACKEND", "Agg")
    kernel_env.update({
        "DLBOOK_GRADING": "1", "HOME": home, "TMPDIR": tmp, "IPYTHONDIR": f"{home}/.ipython",
        "MPLCONFIGDIR": f"{home}/.mpl", "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "LANG": "C.UTF-8", "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin",
                                                     "/bin"]),
    })
    return kernel_env


def _worker_env(work_dir: str) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT", "DLBOOK_GRADING_DEBUG_LOG")
    worker_env = {k: os.environ[k] for k in keep if k in os.environ}
    worker_env.update({"HOME": work_dir, "TMPDIR": work_dir, "PYTHONNOUSERSITE": "1"})
    return worker_env


def _read_capped(stream, cap: int, chunks: list[bytes], over: threading.Event) -> None:
    """Read ``stream`` into ``chunks`` until EOF or ``cap`` bytes (then set ``over``: the rest
    is never read, and the caller ends the worker)."""
    total = 0
    try:
        while True:
            block = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
            if not block:
                return
            total += len(block)
            if total > cap:
                over.set()
                return
            chunks.append(block)
    except (OSError, ValueError):
        return


def _execute(notebook: Path, hidden: HiddenTests, timeout: float, cell_timeout: float | None,
             env: dict[str, str] | None, memory_mb: float | None, landlock: bool = True,
             unsafe_no_sandbox: bool = False, caps: dict[str, int] | None = None,
             max_reply: int | None = None, pids_max: int = DEFAULT_PIDS, file_mb: float = DEFAULT_FILE_MB,
             home_mb: float = DEFAULT_HOME_MB) -> _Execution:
    """Run ``notebook`` then every probe of ``hidden`` in a fresh sandboxed kernel; never raises
    for a bad notebook. Returns the raw replies (parsed JSON, not judged)."""
    cell_timeout = float(cell_timeout if cell_timeout is not None else max(1.0, timeout / 3))
    start = time.monotonic()
    caps = caps or hidden.reply_caps()
    max_reply = int(min(max_reply or DEFAULT_MAX_REPLY_MB * 2**20, sum(caps.values()) or 1))
    use_bwrap = not unsafe_no_sandbox
    if use_bwrap:
        ok, why = _isolation.check_bwrap()
        if not ok:
            raise SandboxUnavailable(f"no sandbox: {why}; pass unsafe_no_sandbox=True to grade without one")
    secret, marker = secrets.token_hex(16), f"DLBOOK-ANSWER-{secrets.token_hex(8)}"
    work_dir = tempfile.mkdtemp(prefix="dlbook-worker-")  # the worker's: the kernel cannot read it
    base = (env or {}).get("TMPDIR") or None
    run_dir = Path(tempfile.mkdtemp(prefix="dlbook-run-", dir=base))
    sockets = run_dir / "s"
    sockets.mkdir()
    slot = _take_slot()
    uid = _isolation.sandbox_uid(slot) if (use_bwrap and _isolation.is_root()) else None
    group = _isolation.Cgroup.create(memory_mb, pids_max) if use_bwrap else None
    read = _isolation.python_paths()
    if use_bwrap:
        home, tmp = _isolation.SUBMISSION_HOME, "/tmp"
        if uid is not None:
            os.chown(sockets, uid, uid)
            os.chmod(sockets, 0o711)  # the sandbox's stage 2 (uid 0, no capability) must reach its file
        kernel_env = _kernel_env(env, home, tmp)
        bwrap = _isolation.bwrap_argv(read, str(sockets), kernel_env, home_mb, uid)
        sandbox_read = read + ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/proc", "/dev"]
        sandbox_write = [home, tmp, "/dev/null"]
    else:
        home, tmp = str(run_dir / "home"), str(run_dir / "tmp")
        os.makedirs(home)
        os.makedirs(tmp)
        kernel_env = _kernel_env(env, home, tmp)
        bwrap = None
        sandbox_read = read + ["/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/dev"]
        sandbox_write = [home, tmp, "/dev/null"]
    # Without a control group, processes per user: as root each slot has a user of its own;
    # in a user namespace the count is the sandbox's own (Linux >= 5.14).
    nproc = None if group else pids_max
    mode = _isolation.describe(use_bwrap, group.kind if group else None, nproc is not None,
                               landlock_abi() if landlock else 0)
    job = {
        "submission": str(notebook.resolve()),
        "sockets": str(sockets),
        "work_dir": work_dir,
        "cell_timeout": cell_timeout,
        "env": kernel_env,
        "secret": secret,
        "marker": marker,
        "probes": [(pid, _probe_cell(hidden, pid, marker)) for pid in hidden.probes],
        "probe_caps": caps,
        "max_reply_bytes": max_reply,
        "sandbox": {"read": sorted(set(p for p in sandbox_read if os.path.exists(p))), "write": sandbox_write,
                    "sockets": [_isolation.SOCKETS_INSIDE if use_bwrap else str(sockets)],
                    "sockets_outside": str(sockets), "sockets_inside": _isolation.SOCKETS_INSIDE,
                    "landlock": landlock, "memory_mb": memory_mb,
                    "cpu_seconds": timeout, "file_mb": file_mb, "nproc": nproc, "bwrap": bwrap,
                    "uid": uid, "gid": uid, "home": home,
                    "cgroup_procs": group.procs_files if group else []},
        "grader_pid": os.getpid(),  # the worker dies with this process (_worker._die_with_grader)
    }
    proc = subprocess.Popen(
        [sys.executable, "-I", str(HERE / "_worker.py")],
        cwd=work_dir,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # so that a timeout can kill the worker and all it started
        env=_worker_env(work_dir),
    )
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    over, err_over = threading.Event(), threading.Event()
    # What the worker reports is capped before anything is parsed: the answers' bytes, plus a
    # line of overhead per probe.
    readers = [threading.Thread(target=_read_capped, args=(proc.stdout, max_reply + 2**16 * (len(caps) + 4),
                                                           out_chunks, over), daemon=True),
               threading.Thread(target=_read_capped, args=(proc.stderr, 2**16, err_chunks, err_over), daemon=True)]
    for t in readers:
        t.start()
    timed_out, killed, kernel_pids = False, [], []
    try:
        try:
            proc.stdin.write(json.dumps(job).encode())
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        deadline = start + timeout
        while proc.poll() is None:
            if over.is_set():
                break
            if time.monotonic() > deadline:
                timed_out = True
                break
            time.sleep(0.05)
        if proc.poll() is None:
            killed = _child_pids(proc.pid)  # the kernel's launcher (bubblewrap), before the worker dies
            for pid in killed:
                _kill_group(pid)
            _kill_group(proc.pid)
        proc.wait()
    finally:
        _kill_group(proc.pid)
        for t in readers:
            t.join(timeout=10)
        out = b"".join(out_chunks)
        for line in out.decode(errors="replace").splitlines():
            if line.startswith(secret + " ") and '"kernel_pid"' in line:
                try:
                    kernel_pids.append(int(json.loads(line[len(secret) + 1:])["kernel_pid"]))
                except (ValueError, KeyError, TypeError):
                    pass
        for pid in kernel_pids:
            _kill_group(pid)  # bubblewrap: with it goes its PID namespace, and all in it
        if group is not None:
            killed += group.kill()
            group.remove()
        if not use_bwrap:
            killed += _kill_leftovers(Path(home))
        _free_slot(slot)

    replies: dict[str, dict | None] = {pid: None for pid in hidden.probes}
    sizes: dict[str, int] = {}
    status, errors = None, []
    for line in out.decode(errors="replace").splitlines():
        if not line.startswith(secret + " "):
            continue
        try:
            event = json.loads(line[len(secret) + 1:])
        except (ValueError, RecursionError):
            continue
        if not isinstance(event, dict):
            continue
        if timed_out and "kernel_pid" in event:
            killed.append(int(event["kernel_pid"]))
        if event.get("probe") in replies and isinstance(event.get("answer"), str):
            text = event["answer"]
            sizes[event["probe"]] = len(text)
            if len(text) <= caps.get(event["probe"], 0):  # checked before parsing
                try:
                    reply = json.loads(text)  # plain data; arrays stay base64 .npy text
                except (ValueError, RecursionError):  # not JSON, or nested beyond Python's stack
                    reply = None
                replies[event["probe"]] = reply if isinstance(reply, dict) else None
        if "status" in event:
            status, errors = str(event["status"]), event.get("errors", [])
    shutil.rmtree(work_dir, ignore_errors=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    if over.is_set():
        status = f"error: the replies passed the cap of {max_reply} bytes"
    elif timed_out and status is None:  # a status already reported means the grading was complete
        status = "timeout"
    elif status is None:
        tail = b"".join(err_chunks).decode(errors="replace").strip().splitlines()[-1:] or [
            f"exit code {proc.returncode}"]
        status = f"error: grader failed ({tail[0][:120]})"
    return _Execution(replies, safe_status(status), errors if isinstance(errors, list) else [],
                      sorted(set(killed)), time.monotonic() - start, mode, sizes)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def safe_status(text: str, limit: int = MAX_STATUS_CHARS) -> str:
    """One line of at most ``limit`` characters, with control characters escaped (``\\n``,
    ``\\x1b``, ...): a submission's exception text cannot forge console lines or CSV rows."""
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def grade_submission(
    submission: str | os.PathLike[str],
    tests: HiddenTests | dict[str, str],
    timeout: float = 300.0,
    cell_timeout: float | None = None,
    env: dict[str, str] | None = None,
    memory_mb: float | None = DEFAULT_MEMORY_MB,
    unsafe_no_sandbox: bool = False,
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
        env: extra environment variables for the kernel (the kernel's environment is otherwise
            an allow-list: thread counts and numeric pins, never the grader's secrets).
            ``DLBOOK_GRADING=1`` is always set (``grading.notebook`` then skips the in-notebook
            checks) and progress bars are off.
        memory_mb: memory of the whole kernel tree (its control group) and address space of each
            of its processes, MiB (None: no limit).
        unsafe_no_sandbox: run the kernel without bubblewrap (rlimits and Landlock only). Without
            it, a machine with no working ``bwrap`` raises :class:`SandboxUnavailable`.

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
    run = _execute(submission, tests, timeout, cell_timeout, env, memory_mb, unsafe_no_sandbox=unsafe_no_sandbox)
    verdicts = _verdicts(tests, run.replies)
    return SubmissionResult(
        submission=submission.name,
        scores=_score(tests, verdicts),
        possible=tests.possible,
        status=run.status,
        seconds=run.seconds,
        details={"errors": run.errors, "killed": run.killed, "sandbox": run.sandbox,
                 "failed": {pid: why for pid, (ok, why) in verdicts.items() if not ok}},
    )


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def parse_shard(text: str | None) -> tuple[int, int] | None:
    """``"K/N"`` -> ``(K, N)`` with ``0 <= K < N`` (K counts from 0, as Slurm's
    ``--array=0-(N-1)`` and Kubernetes' ``JOB_COMPLETION_INDEX`` do)."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match or not 0 <= int(match.group(1)) < int(match.group(2)):
        raise ValueError(f"shard must be K/N with 0 <= K < N, got {text!r}")
    return int(match.group(1)), int(match.group(2))


def shard_files(files: list[Path], shard: tuple[int, int] | None) -> list[Path]:
    """The submissions of one shard: every N-th of the files sorted by name, from the K-th."""
    if shard is None:
        return list(files)
    k, n = shard
    return [f for i, f in enumerate(sorted(files, key=lambda p: p.name)) if i % n == k]


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
    unsafe_no_sandbox: bool = False,
    shard: str | tuple[int, int] | None = None,
) -> list[SubmissionResult]:
    """Grade every ``.ipynb`` in ``submissions`` and write ``grades.csv`` (and ``grades.json``) there.

    Args:
        submissions: a folder of submitted notebooks (or a list of notebook paths).
        autograder: the exercise's autograder folder (``tests/`` and the solutions notebook).
        timeout: wall-clock limit per submission, seconds.
        workers: submissions graded at the same time; default one per available core.
        csv_path: where to write the grades; default ``<submissions>/grades.csv``, or
            ``grades.shard-K-of-N.csv`` for a shard. The sidecar ``<csv stem>.json`` holds the
            seed, the sandbox mode and the shard.
        cell_timeout: per-cell limit, default ``timeout / 3``.
        env: extra environment variables for the kernels.
        seed: the seed of the hidden inputs; default a fresh random one. The same seed regrades
            a batch identically (the sidecar records it).
        memory_mb: memory limit per submission, MiB.
        unsafe_no_sandbox: grade without bubblewrap (see :func:`grade_submission`).
        shard: ``"K/N"``: grade only the K-th of N slices (:func:`shard_files`); needs ``seed``,
            so that every shard draws the same inputs. Join the shards with :func:`merge`.

    Returns:
        One :class:`SubmissionResult` per notebook, in file-name order.

    Raises:
        SandboxUnavailable: before anything runs, if no sandbox can be made here.
    """
    shard = parse_shard(shard) if isinstance(shard, str) or shard is None else tuple(shard)
    if shard is not None and seed is None:
        raise ValueError("a shard needs the batch's seed (--seed), so that every shard draws the same inputs")
    if isinstance(submissions, (list, tuple)):
        files = sorted((Path(p) for p in submissions), key=lambda p: p.name)
        folder = files[0].parent if files else Path(".")
    else:
        folder = Path(submissions)
        if not folder.is_dir():
            raise FileNotFoundError(f"submissions folder {folder} does not exist")
        files = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    files = shard_files(files, shard)
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    mode = sandbox_mode(unsafe_no_sandbox)  # refuses here, before the master runs, without a sandbox
    threads = max(1, default_workers() // workers)
    env = {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), **(env or {})}
    # Read, drawn and answered by the master once, before any submission runs.
    hidden = prepare(autograder, seed=seed, timeout=timeout, cell_timeout=cell_timeout, env=env,
                     memory_mb=memory_mb, unsafe_no_sandbox=unsafe_no_sandbox)
    possible = hidden.possible

    def one(path: Path) -> SubmissionResult:
        try:
            return grade_submission(path, hidden, timeout=timeout, cell_timeout=cell_timeout, env=env,
                                    memory_mb=memory_mb, unsafe_no_sandbox=unsafe_no_sandbox)
        except Exception as err:  # never let one submission stop the batch
            return SubmissionResult(path.name, {q: 0.0 for q in possible}, dict(possible),
                                    safe_status(f"error: {type(err).__name__}: {err}"), details={"sandbox": mode})

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, files))
    if csv_path is None:
        csv_path = folder / ("grades.csv" if shard is None else f"grades.shard-{shard[0]}-of-{shard[1]}.csv")
    meta = {"exercise": hidden.exercise, "seed": hidden.seed, "sandbox": mode,
            "shard": None if shard is None else f"{shard[0]}/{shard[1]}",
            "submissions": [r.submission for r in results], "questions": list(possible),
            "possible": possible, "timeout": timeout, "memory_mb": memory_mb}
    write_csv(results, csv_path, list(possible), meta=meta)
    return results


def _fmt(x: float) -> str:
    return f"{x:g}"


def safe_cell(text: Any) -> str:
    """A CSV text cell a spreadsheet will not run: one that begins with ``= + - @`` (or a tab or
    carriage return) gets a leading ``'`` (OWASP's advice on CSV injection); control
    characters are escaped."""
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def meta_path(csv_path: str | os.PathLike[str]) -> Path:
    """The sidecar of a grades CSV: ``grades.csv`` -> ``grades.json``."""
    return Path(csv_path).with_suffix(".json")


def write_csv(results: list[SubmissionResult], path: str | os.PathLike[str], questions: list[str],
              meta: dict[str, Any] | None = None) -> Path:
    """Write one row per submission: submission, one column per question, total, possible,
    status, sandbox; with ``meta``, also the sidecar :func:`meta_path` (JSON: seed, mode, ...)."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", *questions, "total", "possible", "status", "sandbox"])
        for r in results:
            writer.writerow([safe_cell(r.submission), *(_fmt(r.scores.get(q, 0.0)) for q in questions),
                             _fmt(r.total), _fmt(r.max_total), safe_cell(safe_status(r.status)),
                             safe_cell(r.details.get("sandbox", ""))])
    if meta is not None:
        meta = dict(meta)
        meta["csv_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        meta_path(path).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return path


def merge(out: str | os.PathLike[str], shards: list[str | os.PathLike[str]]) -> Path:
    """Join the CSVs of ``--shard K/N`` runs into one ``grades.csv`` (rows sorted by name).

    Checks, from each shard's sidecar: the same exercise, seed, questions and N; every K from 0
    to N-1 exactly once; no submission twice; each CSV unchanged since it was written.

    Raises:
        ValueError: naming the shard that does not fit.
    """
    metas, rows, header = [], [], None
    for s in shards:
        s = Path(s)
        try:
            meta = json.loads(meta_path(s).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ValueError(f"{s}: no readable sidecar {meta_path(s).name} ({err})") from err
        if hashlib.sha256(s.read_bytes()).hexdigest() != meta.get("csv_sha256"):
            raise ValueError(f"{s} changed after it was written (its sidecar's checksum differs)")
        with s.open(newline="", encoding="utf-8") as f:
            reader = list(csv.reader(f))
        if header is None:
            header = reader[0]
        elif reader[0] != header:
            raise ValueError(f"{s}: columns {reader[0]} differ from {header}")
        names = meta.get("submissions") or []
        if len(names) != len(reader) - 1:
            raise ValueError(f"{s}: {len(reader) - 1} rows but {len(names)} submissions in its sidecar")
        metas.append((s, meta))
        rows += list(zip(names, reader[1:]))
    if not metas:
        raise ValueError("merge needs at least one shard CSV")
    first = metas[0][1]
    for s, meta in metas:
        for key in ("exercise", "seed", "questions", "sandbox"):
            if meta.get(key) != first.get(key):
                raise ValueError(f"{s}: {key} {meta.get(key)!r} differs from {first.get(key)!r}")
    parsed = [parse_shard(m["shard"]) if m.get("shard") else (0, 1) for _, m in metas]
    n = parsed[0][1]
    if sorted(k for k, _ in parsed) != list(range(n)) or any(m != n for _, m in parsed):
        raise ValueError(f"shards {sorted(m.get('shard') for _, m in metas)} are not 0/{n} .. {n - 1}/{n}, each once")
    names = [name for name, _ in rows]
    if len(set(names)) != len(names):
        raise ValueError("a submission appears in two shards")
    rows.sort(key=lambda r: r[0])  # by file name, as a single run orders them
    out = Path(out)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(row for _, row in rows)
    meta = {k: v for k, v in first.items() if k not in ("shard", "submissions", "csv_sha256")}
    meta.update({"merged_from": [str(s) for s, _ in metas], "submissions": sorted(
        n for _, m in metas for n in m.get("submissions", [])),
        "csv_sha256": hashlib.sha256(out.read_bytes()).hexdigest()})
    meta_path(out).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return out
