"""dlbook.grading: the learner's grader and the batch grader, broken submissions included.

The sabotage batch grades eight submissions of exercise 0 with two workers (about a minute on
two cores); the other tests are fast.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import time
from pathlib import Path

import nbformat
import pytest

from dlbook import grading

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_exercises  # noqa: E402

EX = "ex00_introduction"
FULL = {"q1": 2.0, "q2": 3.0, "q3": 1.0, "q4": 3.0}  # points of exercise 0, per question

# An OK-format test that passes whatever the notebook holds: what a cheater would write.
PASS_ALL = (
    'OK_FORMAT = True\ntest = {"name": "q", "points": 100, "suites": [{"cases": [{"code": ">>> 1\\n1\\n", '
    '"hidden": False, "locked": False}], "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}\n'
)

TINY_TESTS = {
    "q1": 'OK_FORMAT = True\ntest = {"name": "q1", "points": 1, "suites": [{"cases": [{"code": ">>> assert x == 1\\n", '
    '"hidden": True, "locked": False}], "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}\n',
}


# ------------------------------------------------------------------ learner side (fast)


def test_exercises_ship_their_public_tests():
    assert grading.exercises() == ["ex00_introduction", "ex01_neurons", "ex02_backprop", "ex03_cnn", "ex06_gan"]
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


# ------------------------------------------------------------------ instructor side (fast)


def test_load_tests_needs_test_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="make exercises"):
        grading.load_tests(tmp_path)


def test_points_follow_otter(tmp_path):
    resolved = grading._resolve(grading.load_tests(ROOT / "dlbook" / "exercise_tests" / EX))
    # public tests alone are worth nothing: the hidden tests decide the grade
    assert all(t["possible"] == 0 for t in resolved.values())
    tiny = grading._resolve(TINY_TESTS)
    assert tiny["q1"]["possible"] == 1.0 and tiny["q1"]["cases"][0]["points"] == 1.0


def test_grade_submission_rejects_bad_tests(tmp_path):
    with pytest.raises(TypeError, match="load_tests"):
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


# ------------------------------------------------------------------ the sabotage batch


def _cell(nb, text: str) -> int:
    hits = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and text in c.source]
    assert len(hits) == 1, f"expected one cell with {text!r}, found {len(hits)}"
    return hits[0]


def _variant(master: Path, path: Path, edit) -> None:
    nb = nbformat.read(master, as_version=4)
    edit(nb)
    nbformat.write(nb, path)


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

    def syntax_error(nb):
        i = _cell(nb, "def mse(")
        nb.cells[i].source = nb.cells[i].source.replace("** 2).mean()", "** 2).mean(")

    def import_error(nb):
        i = _cell(nb, f'grading.notebook("{EX}")')
        nb.cells[i].source = "import no_such_module_dlbook\n" + nb.cells[i].source

    def infinite_loop(nb):
        i = _cell(nb, "w_two_steps =")
        nb.cells[i].source = "while True:\n    pass\n" + nb.cells[i].source

    def deleted_cell(nb):
        del nb.cells[_cell(nb, "def mse(")]

    def wrong_type(nb):
        i = _cell(nb, "def gd_step(")
        nb.cells[i].source = nb.cells[i].source.replace(
            "return w - lr * grad_w, b - lr * grad_b", "return (w - lr * grad_w).tolist(), float(b - lr * grad_b)")
        assert ".tolist()" in nb.cells[i].source

    def cheat(nb):
        i = _cell(nb, "w_two_steps =")
        nb.cells[i].source = "w_two_steps = 0.5  # wrong, hoping the tests can be bent"
        snoop = f"""
import glob, json, os
PASS_ALL = {PASS_ALL!r}
import tempfile
SAFE_ROOT = {str(base)!r}  # the test grades with TMPDIR inside it; never touch anything else
snooped = {{}}
# where the grader might have put the tests: beside the notebook, above it, its temporary folders
tmp = tempfile.gettempdir()
for pattern in ["*", "tests/*", "../*", "../tests/*", "../*/tests/*", tmp + "/dlbook-*/*", tmp + "/dlbook-*/*/*"]:
    for path in glob.glob(pattern):
        path = os.path.abspath(path)
        if not path.startswith(SAFE_ROOT + os.sep):
            continue
        if os.path.isfile(path) and not path.endswith(".ipynb"):
            try:
                snooped[os.path.abspath(path)] = open(path, errors="replace").read()[:100000]
                with open(path, "w") as f:
                    f.write(PASS_ALL)
            except OSError:
                pass
with open({str(base / "snooped.json")!r}, "a") as f:
    f.write(json.dumps(snooped) + "\\n")
# and the instructor's autograder folder, as if its path had leaked
for path in glob.glob({str(autograder / "tests")!r} + "/*.py"):
    with open(path, "w") as f:
        f.write(PASS_ALL)
os.makedirs("tests", exist_ok=True)
for q in ["q1", "q2", "q3", "q4"]:
    with open(os.path.join("tests", q + ".py"), "w") as f:
        f.write(PASS_ALL)
"""
        nb.cells.insert(1, nbformat.v4.new_code_cell(snoop))
        nb.cells.append(nbformat.v4.new_code_cell(snoop))

    for fn in (syntax_error, import_error, infinite_loop, deleted_cell, wrong_type, cheat):
        _variant(master, subs / f"{fn.__name__}.ipynb", fn)
    shutil.copy(ROOT / "exercises" / f"{EX}.ipynb", subs / "z_blank.ipynb")  # graded after the cheat
    (subs / "broken.ipynb").write_text("{ this is not a notebook")
    (subs / "notes.txt").write_text("not a notebook: ignored")

    start = time.monotonic()
    # The grader's temporary folders go inside this test's folder: the cheat's snooping (and any
    # damage it does) stays there.
    private_tmp = base / "tmp"
    private_tmp.mkdir()
    (private_tmp / "planted.txt").write_text("a file the cheat can find, read and overwrite")
    results = grading.grade_batch(subs, autograder, timeout=60, cell_timeout=10, workers=2,
                                  env={"TMPDIR": str(private_tmp)})
    elapsed = time.monotonic() - start
    snooped = [json.loads(line) for line in (base / "snooped.json").read_text().splitlines()]
    hidden = [line for f in (base / "gen" / "exercises" / "autograders" / EX / "tests").glob("*.py")
              for line in f.read_text().splitlines() if "assert" in line]
    return {r.submission: r for r in results}, subs, autograder, elapsed, snooped, hidden


EXPECTED = {
    # submission: (scores, status prefix)
    "syntax_error.ipynb": ({"q1": 0, "q2": 3, "q3": 1, "q4": 3}, "error: SyntaxError"),
    "import_error.ipynb": ({"q1": 0, "q2": 0, "q3": 1, "q4": 0}, "error: ModuleNotFoundError"),
    "infinite_loop.ipynb": ({"q1": 2, "q2": 3, "q3": 0, "q4": 3}, "timeout"),
    "deleted_cell.ipynb": ({"q1": 0, "q2": 3, "q3": 1, "q4": 3}, "ok"),
    "wrong_type.ipynb": ({"q1": 2, "q2": 0, "q3": 1, "q4": 0}, "error: "),
    "cheat.ipynb": ({"q1": 2, "q2": 3, "q3": 0, "q4": 3}, "ok"),
    "z_blank.ipynb": ({"q1": 0, "q2": 0, "q3": 0, "q4": 0}, "error: NotImplementedError"),
    "broken.ipynb": ({"q1": 0, "q2": 0, "q3": 0, "q4": 0}, "error: unreadable notebook"),
}


def test_sabotage_batch_gives_one_row_per_submission(sabotage):
    results, subs, _, elapsed, _, _ = sabotage
    assert sorted(results) == sorted(EXPECTED)
    rows = list(csv.DictReader((subs / "grades.csv").open()))
    assert list(rows[0]) == ["submission", "q1", "q2", "q3", "q4", "total", "possible", "status"]
    assert sorted(r["submission"] for r in rows) == sorted(EXPECTED)
    for row in rows:
        assert row["possible"] == "9" and row["status"]
    # 8 submissions, 2 at a time, 60 s each at most
    assert elapsed < 4 * 60 + 30


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sabotage_scores_and_status(sabotage, name):
    results, subs, _, _, _, _ = sabotage
    scores, status = EXPECTED[name]
    r = results[name]
    assert r.status.startswith(status), r.status
    assert r.scores == {q: float(v) for q, v in scores.items()}, (r.scores, r.status, r.details)
    assert r.possible == FULL
    assert r.seconds < 60 + 5
    row = next(row for row in csv.DictReader((subs / "grades.csv").open()) if row["submission"] == name)
    assert float(row["total"]) == sum(scores.values()) and row["status"] == r.status


def test_cheat_really_overwrote_the_tests_it_could_reach(sabotage):
    """The attack ran (the autograder's files on disk now pass everything), yet the cheat's wrong
    answer and the blank notebook graded after it scored zero: the batch used its own copies."""
    results, _, autograder, _, snooped, hidden = sabotage
    assert all(f.read_text() == PASS_ALL for f in (autograder / "tests").glob("*.py"))
    # the snooping cell ran twice (first and last cell) and found no test where the grader works
    assert len(snooped) == 2 and hidden
    planted = [p for p in snooped[0] if p.endswith("planted.txt")]
    assert planted, "the cheat looks where the grader works (a planted file was found: not vacuous)"
    text = json.dumps(snooped)
    assert "OK_FORMAT" not in text.replace(json.dumps(PASS_ALL)[1:-1], "")
    assert not any(json.dumps(line.strip())[1:-1] in text for line in hidden if len(line.strip()) > 25)
    assert results["cheat.ipynb"].scores["q3"] == 0
    assert sum(results["z_blank.ipynb"].scores.values()) == 0


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
    assert "broken.ipynb" in printed and "grades.csv" in printed
    rows = list(csv.reader((folder / "grades.csv").open()))
    assert rows[1] == ["broken.ipynb", "0", "0", "1", "error: unreadable notebook (NotJSONError)"]
    with pytest.raises(SystemExit):
        grading.main([str(tmp_path)])  # the submissions folder is required
