"""The grader under attack (issue 24): one batch of exercise 0 holds a correct submission, the blank
one, broken ones (syntax error, endless loop, hard exit, ...) and one submission per attack of
``attacks.py``, graded with two workers. Then:

* the grader survived and wrote one row per submission; the correct one scores full marks;
* every attack scores no more than the blank notebook;
* no process outlives the batch (by the attacks' token, the sandbox users, the control groups);
* the secret planted in the grader's environment appears in no output and reached no listener
  (UDP, TCP, a UNIX socket, an abstract UNIX socket), and the attack could not even read it;
* statuses are one bounded line, and grades.csv parses, with formulas neutralised.

The batch is graded once per test session (module fixture): about 25 kernels, 3-5 minutes on two
shared cores. It needs bubblewrap: without it the tests skip, except under CI=true where they fail.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from dlbook import grading
from dlbook.grading import _isolation

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(HERE))

import make_exercises  # noqa: E402
from attacks import ATTACKS, FIRST, PATCHES  # noqa: E402

pytestmark = pytest.mark.slow  # kernels, subprocesses or training: left out of make unit-fast

EX = "ex00_introduction"
FULL = {"q1": 2.0, "q2": 3.0, "q3": 1.0, "q4": 3.0}
SEED = 1234
MEMORY_MB = 1536  # per submission in this batch: the memory attack asks for 4 x 512 MiB


def _require_sandbox() -> None:
    ok, why = _isolation.check_bwrap()
    if ok:
        return
    message = (f"bubblewrap cannot run here ({why}): `make unit` installs it as root "
               "(apt-get install bubblewrap); the attack suite needs it")
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class Listener:
    """UDP, TCP, UNIX and abstract-UNIX sockets of the grader's machine, recording what arrives."""

    def __init__(self, folder: Path) -> None:
        self.received: list[bytes] = []
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.unix_path = str(folder / "listener.sock")
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.unix.bind(self.unix_path)
        self.abstract_name = f"dlbook-attack-{secrets.token_hex(6)}"
        self.abstract = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.abstract.bind("\0" + self.abstract_name)
        self.socks = [self.udp, self.tcp, self.unix, self.abstract]
        for s in self.socks:
            s.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            for s in self.socks:
                try:
                    if s is self.tcp:
                        conn, _ = s.accept()
                        conn.settimeout(2)
                        self.received.append(b"tcp:" + conn.recv(1 << 20))
                        conn.close()
                    else:
                        self.received.append(s.recv(1 << 20))
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for s in self.socks:
            s.close()


def _cell(nb, text: str) -> int:
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source]
    assert len(hits) == 1, f"expected one cell with {text!r}, found {len(hits)}"
    return hits[0]


def _variant(source: Path, path: Path, edit) -> None:
    nb = nbformat.read(source, as_version=4)
    edit(nb)
    nbformat.write(nb, path)


def _sabotage(master: Path, blank: Path, subs: Path, private: Path, autograder: Path) -> None:
    """Broken and dishonest variants of the master (the older sabotage batch)."""

    def syntax_error(nb):
        i = _cell(nb, "def mse(")
        nb.cells[i].source = nb.cells[i].source.replace("** 2).mean()", "** 2).mean(")

    def import_error(nb):
        i = _cell(nb, f'grading.notebook("{EX}")')
        nb.cells[i].source = "import no_such_module_dlbook\n" + nb.cells[i].source

    def infinite_loop(nb):
        i = _cell(nb, "w_two_steps =")
        nb.cells[i].source = "while True:\n    pass\n" + nb.cells[i].source

    def hard_exit(nb):
        i = _cell(nb, "w_two_steps =")
        nb.cells[i].source = "import os\nos._exit(3)\n" + nb.cells[i].source

    def deleted_cell(nb):
        del nb.cells[_cell(nb, "def mse(")]

    def wrong_type(nb):
        i = _cell(nb, "def gd_step(")
        nb.cells[i].source = nb.cells[i].source.replace(
            "return w - lr * grad_w, b - lr * grad_b", "return (w - lr * grad_w).tolist(), float(b - lr * grad_b)")
        assert ".tolist()" in nb.cells[i].source

    def cheat(nb):
        """A wrong answer for q3 and writes to every file the grader might use."""
        i = _cell(nb, "w_two_steps =")
        nb.cells[i].source = "w_two_steps = 0.5  # wrong, hoping the tests can be bent"
        attack = f"""
import glob, os
targets = [{str(private / "planted.txt")!r}, {str(subs / "z_master.ipynb")!r}]
targets += glob.glob({str(autograder / "tests")!r} + "/*.py") + glob.glob({str(private)!r} + "/dlbook-*/**", recursive=True)
for path in targets:
    try:
        with open(path, "w") as f:
            f.write("{{}}")
    except OSError:
        pass
"""
        nb.cells.insert(1, nbformat.v4.new_code_cell(attack))
        nb.cells.append(nbformat.v4.new_code_cell(PATCHES + attack))

    for fn in (syntax_error, import_error, infinite_loop, hard_exit, deleted_cell, wrong_type, cheat):
        _variant(master, subs / f"{fn.__name__}.ipynb", fn)
    shutil.copy(blank, subs / "z_blank.ipynb")
    shutil.copy(master, subs / "z_master.ipynb")
    (subs / "broken.ipynb").write_text("{ this is not a notebook")
    (subs / "empty.ipynb").write_text("")
    (subs / "=1+1.ipynb").write_text("{ a file name that is a spreadsheet formula")
    (subs / "notes.txt").write_text("not a notebook: ignored")


def _leftovers(token: str) -> list[str]:
    """Processes still alive that a submission started: by the token in their command line, or
    running as one of this grader's sandbox users (not another test process's, under xdist)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            status = (entry / "status").read_text()
        except OSError:
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        state = re.search(r"^State:\s+(\w)", status, re.M).group(1)
        if state == "Z":
            continue
        if token in cmdline or _isolation.sandbox_uid(0) <= uid <= _isolation.sandbox_uid(99):  # this grader's
            found.append(f"{entry.name} uid={uid} {cmdline[:100]}")
    return found


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    _require_sandbox()
    base = tmp_path_factory.mktemp("attacks")
    make_exercises.generate(ROOT / "exercises" / "masters" / f"{EX}.ipynb", base / "gen")
    autograder = base / EX
    shutil.copytree(base / "gen" / "exercises" / "autograders" / EX, autograder)
    # The declaration exercise 0's q2 needs (redraw=): the repeated call of gd_step gets new X, y
    # and lr, so a kernel cannot copy its first answer into the second (see the report: the lead
    # adds it to exercises/masters/ex00_introduction.ipynb).
    q2 = autograder / "tests" / "q2.py"
    text = q2.read_text()
    decl = "unchanged=('w0', 'b0')"  # as otter writes the test file (a repr)
    if "redraw=" not in text:
        assert text.count(decl) == 1, "exercise 0's q2 declaration moved: update this test"
        q2.write_text(text.replace(decl, decl + ", redraw=('X', 'y', 'lr')"))
    master = autograder / f"{EX}.ipynb"
    blank = ROOT / "exercises" / f"{EX}.ipynb"
    subs = base / "submissions"
    subs.mkdir()
    private = base / "tmp"  # the grader's temporary folders go here
    private.mkdir()
    (private / "planted.txt").write_text("a file in the grader's temporary folder")
    listener = Listener(base)
    token = f"dlbook-leftover-{secrets.token_hex(6)}"
    secret_name, secret_value = "DLBOOK_INSTRUCTOR_TOKEN", f"secret-{secrets.token_hex(16)}"
    fill = {"{grader_pid}": str(os.getpid()), "{token}": token, "{udp_port}": str(listener.udp.getsockname()[1]),
            "{tcp_port}": str(listener.tcp.getsockname()[1]), "{unix_path}": listener.unix_path,
            "{abstract_name}": listener.abstract_name, "{secret_name}": secret_name}
    for name, source in ATTACKS.items():
        if name == "tamper":
            continue  # part of the sabotage's cheat
        for key, value in fill.items():
            source = source.replace(key, value)
        nb = nbformat.read(blank, as_version=4)
        nb.cells.insert(0 if name in FIRST else len(nb.cells), nbformat.v4.new_code_cell(source))
        nbformat.write(nb, subs / f"attack_{name}.ipynb")
    _sabotage(master, blank, subs, private, autograder)

    os.environ[secret_name] = secret_value
    start = time.monotonic()
    try:
        results = grading.grade_batch(subs, autograder, timeout=120, cell_timeout=25, workers=2, seed=SEED,
                                      memory_mb=MEMORY_MB, env={"TMPDIR": str(private)})
    finally:
        del os.environ[secret_name]
        elapsed = time.monotonic() - start
        time.sleep(1)
        listener.close()
    leftovers = _leftovers(token)
    return {"results": {r.submission: r for r in results}, "subs": subs, "autograder": autograder,
            "private": private, "received": listener.received, "secret": secret_value, "leftovers": leftovers,
            "elapsed": elapsed}


EXPECTED = {
    # submission: (scores, status prefix)
    "syntax_error.ipynb": ({"q1": 0, "q2": 3, "q3": 1, "q4": 3}, "error: SyntaxError"),
    "import_error.ipynb": ({"q1": 0, "q2": 0, "q3": 1, "q4": 0}, "error: ModuleNotFoundError"),
    "infinite_loop.ipynb": ({"q1": 2, "q2": 3, "q3": 0, "q4": 3}, "timeout in code cell "),
    "hard_exit.ipynb": ({"q1": 0, "q2": 0, "q3": 0, "q4": 0}, "error: the kernel died"),
    "deleted_cell.ipynb": ({"q1": 0, "q2": 3, "q3": 1, "q4": 3}, "ok"),
    "wrong_type.ipynb": ({"q1": 2, "q2": 0, "q3": 1, "q4": 0}, "error: "),
    "cheat.ipynb": ({"q1": 2, "q2": 3, "q3": 0, "q4": 3}, "ok"),
    "z_blank.ipynb": ({"q1": 0, "q2": 0, "q3": 0, "q4": 0}, "error: NotImplementedError"),
    "z_master.ipynb": (FULL, "ok"),
    "broken.ipynb": ({"q1": 0, "q2": 0, "q3": 0, "q4": 0}, "error: unreadable notebook"),
    "empty.ipynb": ({"q1": 0, "q2": 0, "q3": 0, "q4": 0}, "error: unreadable notebook"),
    "=1+1.ipynb": ({"q1": 0, "q2": 0, "q3": 0, "q4": 0}, "error: unreadable notebook"),
}
ATTACK_NAMES = [f"attack_{n}.ipynb" for n in ATTACKS if n != "tamper"]


def _report(r, prefix: str) -> str:
    """The ``Report_...`` exception class name an attack raised (from the cell errors)."""
    names = [e[1] for e in r.details.get("errors", []) if str(e[1]).startswith(prefix)]
    assert names, (prefix, r.status, r.details.get("errors"))
    return names[0]


def test_the_grader_survives_and_writes_every_row(attacked):
    results, subs = attacked["results"], attacked["subs"]
    assert sorted(results) == sorted([*EXPECTED, *ATTACK_NAMES])
    with (subs / "grades.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))  # parses: no injected row or quote broke it
    assert len(rows) == len(results)
    assert list(rows[0]) == ["submission", "q1", "q2", "q3", "q4", "total", "possible", "status", "sandbox"]
    assert all(row["possible"] == "9" and row["sandbox"].startswith("bwrap+") for row in rows)
    meta = json.loads((subs / "grades.json").read_text())
    assert meta["seed"] == SEED and meta["sandbox"] == rows[0]["sandbox"] and meta["exercise"] == EX


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_submissions_are_graded_as_before(attacked, name):
    r = attacked["results"][name]
    scores, status = EXPECTED[name]
    assert r.status.startswith(status), r.status
    assert r.scores == {q: float(v) for q, v in scores.items()}, (r.scores, r.status, r.details)
    assert r.possible == FULL


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_an_attack_scores_no_more_than_the_blank(attacked, name):
    results = attacked["results"]
    r, blank = results[name], results["z_blank.ipynb"]
    assert all(r.scores[q] <= blank.scores[q] for q in FULL), (r.scores, r.status, r.details.get("failed"))


def test_the_correct_submission_scores_full_marks_after_the_attacks(attacked):
    r = attacked["results"]["z_master.ipynb"]
    assert r.status == "ok" and r.scores == FULL, (r.status, r.scores, r.details)


def test_no_process_outlives_the_batch(attacked):
    assert attacked["leftovers"] == [], attacked["leftovers"]
    mine = [p for p in _isolation._mounts() if p[1] in ("cgroup", "cgroup2")]
    groups = [d for point, _, _ in mine for d in Path(point).rglob(f"dlbook-{os.getpid()}-*")]
    assert groups == [], groups


def test_the_planted_secret_reaches_no_output_and_no_listener(attacked):
    secret = attacked["secret"]
    assert not any(secret.encode() in data for data in attacked["received"]), "a listener got the secret"
    assert attacked["received"] == [], f"the sandbox reached a listener: {[d[:80] for d in attacked['received']]}"
    for path in attacked["subs"].iterdir():
        if path.suffix in (".csv", ".json"):
            assert secret not in path.read_text(errors="replace"), path
    assert secret not in repr(list(attacked["results"].values()))
    # The attack itself reports what it could read and send: nothing.
    # It read no secret, and of its sends only UDP "succeeds": to the sandbox's own loopback, where
    # nothing listens (the listener above got nothing). TCP, UNIX, abstract and raw sockets fail.
    report = _report(attacked["results"]["attack_secrets.ipynb"], "Report_secret")
    assert report in ("Report_secret0_sent_nothing", "Report_secret0_sent_udp"), report


def test_limits_hold_per_submission(attacked):
    results = attacked["results"]
    mem = results["attack_memory.ipynb"]
    memory = "kernel died" if mem.status.startswith("error: the kernel died") else _report(mem, "Report_memory")
    forks = _report(results["attack_forks.ipynb"], "Report_forks")
    disk = _report(results["attack_disk.ipynb"], "Report_disk")
    mode = results["z_master.ipynb"].details["sandbox"]
    if "cgroup" in mode and "no-cgroup" not in mode:
        # 4 x 512 MiB in a 1536 MiB group: the kernel's OOM killer ends some child (or the kernel)
        assert memory != "Report_memory_killed0", memory
    made = int(re.search(r"Report_forks(\d+)", forks).group(1))
    assert 0 < made < grading.batch.DEFAULT_PIDS, forks
    # its folder is a size-capped tmpfs (ENOSPC, 28) or the file-size limit ends the file (EFBIG, 27);
    # beside the sockets no regular file may be made (Landlock: EACCES, 13)
    parts = re.search(r"Report_disk_(\w+?)_(\w+?)_(\w+)", disk)
    assert parts, disk
    assert all(p != "full" for p in parts.groups()), disk
    assert results["attack_huge_reply.ipynb"].total == 0
    # the flood ends however its kernel copes (interrupted, or killed by its own buffered output):
    # what matters is that the worker kept none of it and the other rows are right
    assert results["attack_flood.ipynb"].total == 0


def test_the_in_place_forgery_is_caught(attacked):
    r = attacked["results"]["attack_inplace_forge.ipynb"]
    assert r.scores["q2"] == 0, (r.scores, r.details.get("failed"))
    failed = r.details["failed"]
    assert any("second call" in why for pid, why in failed.items() if pid.startswith("q2.")), failed


def test_raising_the_expected_error_alone_earns_nothing(attacked):
    r = attacked["results"]["attack_raise_all.ipynb"]
    assert r.total == 0, (r.scores, r.details.get("failed"))
    hidden_q1 = grading.resolve({"q1": (attacked["autograder"] / "tests" / "q1.py").read_text()})[1]
    raises = [pid for pid, p in hidden_q1.items() if p.raises == "ValueError"]
    assert raises and not any(pid in r.details["failed"] for pid in raises), "its error test passed, and scored 0"


def test_statuses_are_one_bounded_line(attacked):
    for name, r in attacked["results"].items():
        assert "\n" not in r.status and "\r" not in r.status and "\x1b" not in r.status, (name, r.status)
        assert len(r.status) <= grading.batch.MAX_STATUS_CHARS, (name, len(r.status))
    inject = attacked["results"]["attack_inject.ipynb"].status
    assert inject.startswith("error: X\\nalice.ipynb 16/16 ok\\r\\x1b"), inject
    with (attacked["subs"] / "grades.csv").open(newline="", encoding="utf-8") as f:
        rows = {row["submission"]: row for row in csv.DictReader(f)}
    assert "'=1+1.ipynb" in rows and "=1+1.ipynb" not in rows
    assert all(not row["status"].startswith(("=", "+", "-", "@")) for row in rows.values())


def test_no_file_outside_a_submission_changed(attacked):
    private, subs, autograder = attacked["private"], attacked["subs"], attacked["autograder"]
    assert (private / "planted.txt").read_text() == "a file in the grader's temporary folder"
    assert all("probe(" in f.read_text() for f in (autograder / "tests").glob("q*.py"))
    assert nbformat.read(subs / "z_master.ipynb", as_version=4).cells
