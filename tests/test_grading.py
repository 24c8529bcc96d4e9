"""dlbook.grading: the learner's grader, the hidden-test declarations, the plain-data codec, the
sandbox, and the batch grader on broken and dishonest submissions.

The sabotage batch grades eleven submissions of exercise 0 and its master with two workers (about
two minutes on two shared cores); the file-attack and limit tests grade one tiny notebook each;
the rest is fast.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from dlbook import grading
from dlbook.grading import batch, codec, declare
from dlbook.grading._sandbox import landlock_abi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_exercises  # noqa: E402

EX = "ex00_introduction"
FULL = {"q1": 2.0, "q2": 3.0, "q3": 1.0, "q4": 3.0}  # points of exercise 0, per question
SEED = 1234  # the tests fix the seed of the hidden inputs; a real batch draws one


def _ok_test(name: str, *cases: tuple[str, bool, float]) -> str:
    """An OK-format test file (what otter assign writes) with the given (code, hidden, points)."""
    spec = {"name": name, "points": None, "suites": [{
        "cases": [{"code": code, "hidden": hidden, "locked": False, "points": pts} for code, hidden, pts in cases],
        "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}
    return f"OK_FORMAT = True\ntest = {spec!r}\n"


# One hidden declaration judged without a master: x must be 1.
TINY_TESTS = {"q1": _ok_test("q1", (">>> probe('x', check=lambda answer, reference, inputs: answer == 1)\n", True, 1))}


# ------------------------------------------------------------------ learner side (fast)


def test_exercises_ship_their_public_tests():
    assert grading.exercises() == ["ex00_introduction", "ex01_neurons", "ex02_backprop", "ex03_cnn", "ex04_rnn", "ex05_transformer",
                                  "ex06_gan", "ex07_distillation", "ex08_meta_learning"]
    folder = grading.tests_dir(EX)
    assert folder.is_dir() and folder.parent.name == "exercise_tests"
    assert sorted(p.stem for p in folder.glob("*.py")) == list(FULL)


def test_tests_dir_rejects_bad_names():
    with pytest.raises(ValueError, match="ex01_neurons"):
        grading.tests_dir("ex99_nothing")
    with pytest.raises(TypeError, match="str"):
        grading.tests_dir(1)


def test_notebook_points_otter_at_the_package(tmp_path, monkeypatch):
    import otter

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DLBOOK_GRADING", raising=False)
    grader = grading.notebook(EX)
    assert isinstance(grader, otter.Notebook)
    assert Path(grader._tests_dir) == grading.tests_dir(EX)
    result = grader.check("q3", global_env={"w_two_steps": 1.08})
    assert result.passed_all
    assert not grader.check("q3", global_env={"w_two_steps": "1.08"}).passed_all


def test_notebook_is_silent_while_batch_grading(monkeypatch):
    monkeypatch.setenv("DLBOOK_GRADING", "1")
    grader = grading.notebook(EX)
    assert grader.check("q1") is None


def test_python_m_dlbook_grading_prints_no_warning():
    """`python -m dlbook.grading` runs the package's __main__: no runpy RuntimeWarning."""
    out = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "dlbook.grading", "--help"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr and "grades.csv" in out.stdout


# ------------------------------------------------------------------ codec and verdicts (fast)


def test_codec_round_trip_keeps_kinds_and_values():
    value = {"t": torch.arange(6.0).reshape(2, 3), "a": np.eye(2), "n": [1, 2.5, True, None, "s"], "p": (3,)}
    node = json.loads(json.dumps(codec.encode(value)))  # through JSON, as from a kernel
    kinds = {k: v["k"] for k, v in node["v"]}
    assert kinds == {"t": "tensor", "a": "ndarray", "n": "list", "p": "tuple"}
    back = codec.decode(node, torch_tensors=True)
    assert torch.equal(back["t"], value["t"]) and np.array_equal(back["a"], value["a"])
    assert back["n"] == [1, 2.5, True, None, "s"] and back["p"] == (3,)
    assert isinstance(codec.decode(node, torch_tensors=False)["t"], np.ndarray)
    assert codec.encode(torch.nn.Linear(2, 2))["k"] == "object"


def test_codec_never_unpickles():
    """An answer smuggling a pickled object array is refused, and its pickle never runs."""
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    node = {"k": "ndarray", "npy": base64.b64encode(buf.getvalue()).decode()}
    with pytest.raises(ValueError):
        codec.decode(node, torch_tensors=False)
    p = declare.Probe("x", check=lambda answer, reference, inputs: True)
    assert declare.judge(p, {"answer": node, "after": {}}, None, {}, {})[0] is False


def test_verdicts_follow_tolerance_kind_and_exceptions():
    t = codec.encode(torch.tensor([1.0, 2.0]))
    near = codec.encode(torch.tensor([1.0, 2.0 + 1e-7]))
    far = codec.encode(torch.tensor([1.0, 2.1]))
    assert declare.same(near, t, 1e-6, 0, False) and not declare.same(far, t, 1e-6, 0, False)
    as_list = codec.encode([1.0, 2.0])
    assert not declare.same(as_list, t, 1e-6, 0, False), "a list is not a tensor"
    assert declare.same(as_list, t, 1e-6, 0, True), "unless the probe is loose"
    assert not declare.same(codec.encode(np.array([1.0, 2.0])), t, 1e-6, 0, False)
    assert not declare.same(codec.encode(torch.tensor([1.0, 2.0, 3.0])), t, 1e-6, 0, True), "shapes must agree"
    assert declare.same(codec.encode(3466.0), codec.encode(3466), 0, 0, False), "int and float: one kind"
    assert not declare.same(codec.encode(float("nan")), codec.encode(1.0), 1e9, 0, False)
    raised = {"k": "raised", "types": ["ValueError", "Exception"], "msg": ""}
    sub = {"k": "raised", "types": ["MyError", "ValueError", "Exception"], "msg": ""}
    assert declare.same(sub, raised, 0, 0, False) and not declare.same(t, raised, 0, 0, False)
    p = declare.Probe("f(x)", raises="ValueError")
    assert declare.judge(p, {"answer": sub}, None, {}, {})[0]
    assert not declare.judge(p, {"answer": {"k": "raised", "types": ["NotImplementedError"]}}, None, {}, {})[0]


def test_unchanged_inputs_are_checked_by_the_grader():
    w = codec.encode(torch.tensor([1.0, 2.0]))
    p = declare.Probe("f(w)", unchanged=("w",))
    ref = {"answer": codec.encode(0.0)}
    assert declare.judge(p, {"answer": codec.encode(0.0), "after": {"w": w}}, ref, {}, {"w": w})[0]
    changed = codec.encode(torch.tensor([0.0, 2.0]))
    assert declare.judge(p, {"answer": codec.encode(0.0), "after": {"w": changed}}, ref, {}, {"w": w}) == (
        False, "w was changed in place")


def test_grader_accuracy_matches_torch():
    g = torch.Generator().manual_seed(0)
    scores, labels = torch.randn(50, 4, generator=g), torch.randint(0, 4, (50,), generator=g)
    expected = (scores.argmax(1) == labels).float().mean().item()
    assert declare.accuracy(scores.numpy(), labels.numpy()) == pytest.approx(expected)
    assert declare.accuracy(scores.numpy()[:10], labels.numpy()) == 0.0, "wrong number of rows scores 0"
    assert declare.accuracy("all right", labels.numpy()) == 0.0


def test_draws_depend_on_the_seed_and_the_probe():
    a, b = declare.Draw.for_probe(1, "q1.0.0"), declare.Draw.for_probe(1, "q1.0.0")
    assert torch.equal(torch.randn(3, generator=a.torch), torch.randn(3, generator=b.torch))
    c, d = declare.Draw.for_probe(2, "q1.0.0"), declare.Draw.for_probe(1, "q1.0.1")
    assert len({a.seed, c.seed, d.seed}) == 3


def test_old_form_hidden_tests_are_rejected_with_a_clear_error():
    with pytest.raises(declare.DeclarationError, match=r"ex9 q2 hidden test 0 is in the old form.*NameError.*probe"):
        declare.parse_declarations(">>> assert w_two_steps == 1\n", "ex9 q2 hidden test 0")
    with pytest.raises(declare.DeclarationError, match="declares no probe"):
        declare.parse_declarations(">>> import math\n", "ex9 q2 hidden test 0")
    with pytest.raises(declare.DeclarationError, match="assert"):
        declare.parse_declarations(">>> probe('x')\n>>> assert 1 == 1\n", "ex9 q2 hidden test 0")
    with pytest.raises(declare.DeclarationError, match="points: 0"):
        grading.resolve({"q1": _ok_test("q1", (">>> 1\n1\n", False, 2))}, "ex9")
    questions, probes = grading.resolve(TINY_TESTS)
    assert questions["q1"].possible == 1.0 and list(probes) == ["q1.0.0"]


def test_public_tests_are_worth_nothing():
    questions, probes = grading.resolve(grading.load_tests(ROOT / "dlbook" / "exercise_tests" / EX))
    assert all(q.possible == 0 for q in questions.values()) and not probes


# ------------------------------------------------------------------ instructor side (fast)


def test_load_tests_needs_test_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="make exercises"):
        grading.load_tests(tmp_path)


def test_prepare_needs_a_master_for_reference_answers():
    tests = {"q1": _ok_test("q1", (">>> probe('x')\n", True, 1))}
    with pytest.raises(RuntimeError, match="master"):
        grading.prepare(tests)


def test_grade_submission_rejects_bad_tests(tmp_path):
    with pytest.raises(TypeError, match="prepare"):
        grading.grade_submission(tmp_path / "x.ipynb", {})


def test_grade_batch_rejects_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError):
        grading.grade_batch(tmp_path / "missing", tmp_path)
    with pytest.raises(ValueError, match="workers"):
        grading.grade_batch(tmp_path, tmp_path, workers=0)


def test_write_csv_columns(tmp_path):
    r = grading.SubmissionResult("a.ipynb", {"q1": 1.0, "q2": 0.5}, {"q1": 1.0, "q2": 2.0}, "ok")
    path = grading.write_csv([r], tmp_path / "grades.csv", ["q1", "q2"])
    rows = list(csv.reader(path.open()))
    assert rows == [["submission", "q1", "q2", "total", "possible", "status"],
                    ["a.ipynb", "1", "0.5", "1.5", "3", "ok"]]


# ------------------------------------------------------------------ one tiny notebook each


def _tiny_notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def _dead(pid: int) -> bool:
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def test_a_loop_that_ignores_interrupts_hits_the_hard_limit(tmp_path):
    nb = _tiny_notebook(
        tmp_path / "stubborn.ipynb",
        "x = 1",
        "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass",
    )
    start = time.monotonic()
    r = grading.grade_submission(nb, TINY_TESTS, timeout=10, cell_timeout=3)
    assert time.monotonic() - start < 10 + 10
    assert r.status == "timeout"
    assert r.scores == {"q1": 0.0} and r.possible == {"q1": 1.0}
    killed = r.details["killed"]
    assert killed, "the timed-out worker's kernel was found"
    assert all(_dead(pid) for pid in killed), "the kernel of a timed-out submission must be killed"


def test_a_submission_over_its_memory_limit_fails_alone(tmp_path):
    nb = _tiny_notebook(tmp_path / "hungry.ipynb", "x = 1", "big = bytearray(3 * 2**30)")
    r = grading.grade_submission(nb, TINY_TESTS, timeout=60, memory_mb=2048)
    assert r.status.startswith("error: MemoryError in code cell 2"), r.status
    assert r.scores == {"q1": 1.0}, "the cells that ran still count"


ATTACK = """
import glob, json, os
log = {}
def attempt(what, fn):
    try:
        fn()
        log[what] = "done"
    except Exception as err:
        log[what] = type(err).__name__
def overwrite(path):
    with open(path, "w") as f:
        f.write("overwritten by a submission")
attempt("read secret", lambda: open(SECRET).read())
attempt("write secret", lambda: overwrite(SECRET))
attempt("write other submission", lambda: overwrite(OTHER))
attempt("list grader folders", lambda: os.listdir(os.path.dirname(os.getcwd())))
attempt("write own folder", lambda: overwrite("mine.txt"))
import socket
attempt("connect to the grader", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=5).close())
attempt("signal the worker", lambda: os.kill(os.getppid(), 0))
x = 1
"""


@pytest.mark.skipif(landlock_abi() < 1, reason="Landlock is not available on this kernel")
def test_a_submission_cannot_read_or_write_outside_its_folder(tmp_path):
    secret, other = tmp_path / "hidden_tests.py", tmp_path / "other_submission.ipynb"
    secret.write_text("the hidden tests")
    other.write_text("another student's notebook")
    listener = socket.create_server(("127.0.0.1", 0))  # a port of the grader's machine
    source = f"SECRET, OTHER, PORT = {str(secret)!r}, {str(other)!r}, {listener.getsockname()[1]}\n" + ATTACK
    nb = _tiny_notebook(tmp_path / "attacker.ipynb", source)
    seen = []

    def record(answer, reference, inputs):
        seen.append(answer)
        return True

    question = batch.Question("q1", [batch.Case(1.0, ["q1.0.0"])], all_or_nothing=False)
    hidden = grading.HiddenTests({"q1": question}, {"q1.0.0": declare.Probe("log", check=record)}, seed=SEED)
    batch._draw_inputs(hidden)
    try:
        r = grading.grade_submission(nb, hidden, timeout=60)
    finally:
        listener.close()
    assert r.status == "ok", r.status
    assert seen, "the attack's log came back"
    log = seen[0]
    assert log["write own folder"] == "done", log
    for what in ("read secret", "write secret", "write other submission", "list grader folders"):
        assert log[what] == "PermissionError", (what, log)
    if landlock_abi() >= 4:
        assert log["connect to the grader"] == "PermissionError", log
    if landlock_abi() >= 6:
        assert log["signal the worker"] == "PermissionError", log
    assert secret.read_text() == "the hidden tests" and other.read_text() == "another student's notebook"


def test_make_grade_command_line(tmp_path, capsys):
    """The command line `make grade` runs: prints one line per submission, writes grades.csv."""
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "broken.ipynb").write_text("{ this is not a notebook")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "q1.py").write_text(TINY_TESTS["q1"])
    assert grading.main([str(tmp_path), str(folder), "--timeout", "30"]) == 0
    printed = capsys.readouterr().out
    assert "broken.ipynb" in printed and "grades.csv" in printed and "sandbox: " in printed
    rows = list(csv.reader((folder / "grades.csv").open()))
    assert rows[1] == ["broken.ipynb", "0", "0", "1", "error: unreadable notebook (NotJSONError)"]
    with pytest.raises(SystemExit):
        grading.main([str(tmp_path)])  # the submissions folder is required


# ------------------------------------------------------------------ the sabotage batch


def _cell(nb, text: str) -> int:
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source]
    assert len(hits) == 1, f"expected one cell with {text!r}, found {len(hits)}"
    return hits[0]


def _variant(master: Path, path: Path, edit) -> None:
    nb = nbformat.read(master, as_version=4)
    edit(nb)
    nbformat.write(nb, path)


TAMPER = """
import numpy as np, numpy.testing, torch, torch.testing, doctest, dlbook
np.allclose = np.array_equal = lambda *a, **k: True
np.isclose = lambda *a, **k: np.array(True)
np.testing.assert_allclose = np.testing.assert_array_equal = np.testing.assert_equal = lambda *a, **k: None
torch.allclose = torch.equal = lambda *a, **k: True
torch.testing.assert_close = lambda *a, **k: None
dlbook.accuracy = lambda *a, **k: torch.tensor(1.0)
doctest.DocTestRunner.run = lambda self, *a, **k: doctest.TestResults(0, 0)
"""


@pytest.fixture(scope="module")
def sabotage(tmp_path_factory):
    """Grade one batch of broken and dishonest submissions; return (results by name, dirs)."""
    base = tmp_path_factory.mktemp("sabotage")
    make_exercises.generate(ROOT / "exercises" / "masters" / f"{EX}.ipynb", base / "gen")
    autograder = base / "autograder"
    shutil.copytree(base / "gen" / "exercises" / "autograders" / EX, autograder)
    master = autograder / f"{EX}.ipynb"
    subs = base / "submissions"
    subs.mkdir()
    private_tmp = base / "tmp"  # the grader's temporary folders go here
    private_tmp.mkdir()
    planted = private_tmp / "planted.txt"
    planted.write_text("a file in the grader's temporary folder")

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
        """A wrong answer for q3, patched comparison functions, and attacks on every file the
        grader might use: its honest score is full marks less q3."""
        i = _cell(nb, "w_two_steps =")
        nb.cells[i].source = "w_two_steps = 0.5  # wrong, hoping the tests can be bent"
        attack = f"""
import glob, os
targets = [{str(planted)!r}, {str(subs / "z_master.ipynb")!r}, {str(master)!r}]
targets += glob.glob({str(autograder / "tests")!r} + "/*.py") + glob.glob({str(private_tmp)!r} + "/dlbook-*/**", recursive=True)
for path in targets:
    try:
        with open(path, "w") as f:
            f.write("{{}}")
    except OSError:
        pass
os.makedirs("tests", exist_ok=True)
"""
        nb.cells.insert(1, nbformat.v4.new_code_cell(attack))
        nb.cells.append(nbformat.v4.new_code_cell(TAMPER + attack))

    for fn in (syntax_error, import_error, infinite_loop, hard_exit, deleted_cell, wrong_type, cheat):
        _variant(master, subs / f"{fn.__name__}.ipynb", fn)
    shutil.copy(ROOT / "exercises" / f"{EX}.ipynb", subs / "z_blank.ipynb")  # graded after the cheat
    shutil.copy(master, subs / "z_master.ipynb")
    (subs / "broken.ipynb").write_text("{ this is not a notebook")
    (subs / "empty.ipynb").write_text("")
    (subs / "notes.txt").write_text("not a notebook: ignored")

    start = time.monotonic()
    results = grading.grade_batch(subs, autograder, timeout=120, cell_timeout=25, workers=2, seed=SEED,
                                  env={"TMPDIR": str(private_tmp)})
    elapsed = time.monotonic() - start
    return {r.submission: r for r in results}, subs, autograder, elapsed, planted


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
}


def test_sabotage_batch_gives_one_row_per_submission(sabotage):
    results, subs, _, elapsed, _ = sabotage
    assert sorted(results) == sorted(EXPECTED)
    rows = list(csv.DictReader((subs / "grades.csv").open()))
    assert list(rows[0]) == ["submission", "q1", "q2", "q3", "q4", "total", "possible", "status"]
    assert sorted(r["submission"] for r in rows) == sorted(EXPECTED)
    for row in rows:
        assert row["possible"] == "9" and row["status"]
    # 11 submissions and the master, 2 at a time, 120 s each at most (cells: 25 s, ample on busy cores)
    assert elapsed < 7 * 120


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sabotage_scores_and_status(sabotage, name):
    results, subs, _, _, _ = sabotage
    scores, status = EXPECTED[name]
    r = results[name]
    assert r.status.startswith(status), r.status
    assert r.scores == {q: float(v) for q, v in scores.items()}, (r.scores, r.status, r.details)
    assert r.possible == FULL
    assert r.seconds < 120 + 5
    row = next(row for row in csv.DictReader((subs / "grades.csv").open()) if row["submission"] == name)
    assert float(row["total"]) == sum(scores.values()) and row["status"] == r.status


@pytest.mark.skipif(landlock_abi() < 1, reason="Landlock is not available on this kernel")
def test_cheat_changed_no_file_outside_its_folder(sabotage):
    """The cheat tried to overwrite the hidden tests, the master, another submission and the
    grader's temporary files: all are intact, and the rows graded after it are unchanged."""
    results, subs, autograder, _, planted = sabotage
    assert planted.read_text() == "a file in the grader's temporary folder"
    assert all("probe(" in f.read_text() for f in (autograder / "tests").glob("q*.py"))
    assert nbformat.read(subs / "z_master.ipynb", as_version=4).cells
    assert results["z_master.ipynb"].total == sum(FULL.values())
    assert results["cheat.ipynb"].total <= sum(FULL.values()) - FULL["q3"]


def test_a_master_that_raises_on_a_probe_stops_the_batch(tmp_path):
    """A typo in a probe's code makes the master raise; that must not become the expected answer."""
    master = _tiny_notebook(tmp_path / "master.ipynb", "x = 1")
    tests = {"q1": _ok_test("q1", (">>> probe('x + undefined_name')\n", True, 1))}
    with pytest.raises(RuntimeError, match="the master raised NameError"):
        grading.prepare(tests, master=master, timeout=60)


def test_a_detached_process_does_not_outlive_its_submission(tmp_path):
    """A daemon that leaves the kernel's session is found and killed when the submission ends."""
    spawn = ("import os, subprocess, sys\n"
             "p = subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True: time.sleep(0.1)'],"
             " start_new_session=True)\n"
             "x = 1\n"
             "pid = p.pid")
    nb = _tiny_notebook(tmp_path / "daemon.ipynb", spawn)
    question = batch.Question("q1", [batch.Case(1.0, ["q1.0.0"])], all_or_nothing=False)
    seen = []
    probe = declare.Probe("pid", check=lambda answer, reference, inputs: seen.append(answer) or True)
    hidden = grading.HiddenTests({"q1": question}, {"q1.0.0": probe}, seed=SEED)
    batch._draw_inputs(hidden)
    r = grading.grade_submission(nb, hidden, timeout=60)
    assert r.status == "ok" and seen and isinstance(seen[0], int), (r.status, seen)
    assert seen[0] in r.details["killed"] and _dead(seen[0])
