"""The graded exercises: masters, generated student notebooks, public and hidden tests.

Grading every master and every blank student notebook runs 8 Jupyter kernels (about a minute
on two cores); the rest is fast.
"""

from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_exercises  # noqa: E402
from notebook_setup import setup_source  # noqa: E402

from dlbook import grading  # noqa: E402

EXERCISES = ["ex00_introduction", "ex01_neurons", "ex02_backprop", "ex03_cnn", "ex05_transformer"]
CHAPTER_DIRS = {
    "ex00_introduction": "chapters/00_introduction",
    "ex01_neurons": "chapters/01_neurons",
    "ex02_backprop": "chapters/02_backprop",
    "ex03_cnn": "chapters/03_cnn",
    "ex05_transformer": "chapters/05_transformer",
}
# The numeric-answer and train-to-a-threshold question of each exercise.
NUMERIC = {"ex00_introduction": ("q3", "w_two_steps"), "ex01_neurons": ("q4", "n_params"),
           "ex02_backprop": ("q5", "p_after_first_step"), "ex03_cnn": ("q4", "lenet5_params"),
           "ex05_transformer": ("q3", "encoder_layer_params")}
THRESHOLD = {"ex00_introduction": "q4", "ex01_neurons": "q5", "ex02_backprop": "q6", "ex03_cnn": "q5", "ex05_transformer": "q4"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A fresh `make exercises` into a temporary tree (the repository is left alone)."""
    out = tmp_path_factory.mktemp("generated")
    for master in make_exercises.masters():
        make_exercises.generate(master, out)
    return out


def _test_specs(folder: Path) -> dict[str, dict]:
    specs = {}
    for f in sorted(folder.glob("*.py")):
        env: dict = {}
        exec(f.read_text(encoding="utf-8"), env)
        specs[f.stem] = env["test"]
    return specs


def test_every_exercise_has_a_master():
    assert [m.stem for m in make_exercises.masters()] == EXERCISES
    assert grading.exercises() == EXERCISES


def test_student_notebooks_equal_a_fresh_make_exercises(generated):
    for name in EXERCISES:
        fresh, committed = generated / "exercises" / f"{name}.ipynb", ROOT / "exercises" / f"{name}.ipynb"
        assert committed.exists(), f"{committed} missing: run `make exercises`"
        assert make_exercises._same_notebook(fresh, committed), f"{committed} is out of date: run `make exercises`"
        fresh_tests = generated / "dlbook" / "exercise_tests" / name
        shipped = ROOT / "dlbook" / "exercise_tests" / name
        assert sorted(p.name for p in fresh_tests.glob("*.py")) == sorted(p.name for p in shipped.glob("*.py"))
        for f in fresh_tests.glob("*.py"):
            assert f.read_text() == (shipped / f.name).read_text(), f"{shipped / f.name} is out of date"


def test_sync_check_notices_a_hand_edit(generated, tmp_path):
    """The comparison used above is not vacuous: an edited student notebook differs."""
    name = EXERCISES[0]
    nb = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    nb.cells[3].source += "\n# edited by hand"
    edited = tmp_path / "edited.ipynb"
    nbformat.write(nb, edited)
    assert not make_exercises._same_notebook(generated / "exercises" / f"{name}.ipynb", edited)


@pytest.mark.parametrize("name", EXERCISES)
def test_questions_and_hidden_tests(generated, name):
    public = _test_specs(ROOT / "dlbook" / "exercise_tests" / name)
    full = _test_specs(generated / "exercises" / "autograders" / name / "tests")
    assert 4 <= len(full) <= 8, f"{name} has {len(full)} questions"
    assert set(public) == set(full), "every question gives feedback through public tests"
    for q, spec in full.items():
        cases = spec["suites"][0]["cases"]
        hidden = [c for c in cases if c["hidden"]]
        assert hidden, f"{name} {q} has no hidden test"
        assert all(c.get("points") == 0 for c in cases if not c["hidden"]), "public tests must not score"
        for case in public[q]["suites"][0]["cases"]:
            assert not case["hidden"]
        # hidden test code reaches neither the package nor the student notebook
        student = (ROOT / "exercises" / f"{name}.ipynb").read_text()
        shipped = "".join(p.read_text() for p in (ROOT / "dlbook" / "exercise_tests" / name).glob("*.py"))
        for case in hidden:
            line = max((ln[4:].strip() for ln in case["code"].splitlines() if "assert " in ln), key=len)
            assert json.dumps(line)[1:-1] not in student and line not in shipped, f"{name} {q} leaks: {line}"


@pytest.mark.parametrize("name", EXERCISES)
def test_student_notebook_layout(name):
    nb = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == setup_source(extras="[grade]"), "first cell installs dlbook[grade] in Colab"
    assert f'grading.notebook("{name}")' in code[1].source
    text = "\n".join(c.source for c in nb.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "# SOLUTION", "BEGIN TESTS", "HIDDEN", "ASSIGNMENT CONFIG"):
        assert marker not in text, f"{name}: otter marker {marker!r} left in the student notebook"
    assert all(not c.get("outputs") for c in code), "student notebooks are stored without outputs"
    # links back to its chapter, and the link points at something that exists
    links = re.findall(r"\]\((\.\./chapters/[^)\s]+)\)", text)
    assert links, f"{name} does not link to its chapter"
    for link in links:
        assert link[3:].startswith(CHAPTER_DIRS[name])
        assert (ROOT / "exercises" / link).resolve().exists(), f"{name} links to missing {link}"
    # a numeric-answer question and a train-to-a-threshold question
    q, var = NUMERIC[name]
    assert re.search(rf"^{var} = \.\.\.$", text, flags=re.M), f"{name}: numeric answer {var} = ... missing"
    assert f'grader.check("{THRESHOLD[name]}")' in text
    assert "95%" in text or "0.015" in text, "the threshold is stated"


def test_public_tests_give_feedback_in_process(tmp_path, monkeypatch):
    """What a learner sees: grader.check on the package's public tests, without a clone."""
    import torch

    monkeypatch.chdir(tmp_path)  # otter writes its .OTTER_LOG here
    monkeypatch.delenv("DLBOOK_GRADING", raising=False)
    grader = grading.notebook("ex01_neurons")
    assert Path(grader._tests_dir) == grading.tests_dir("ex01_neurons")

    def softmax(z, dim=-1):
        e = (z - z.amax(dim=dim, keepdim=True)).exp()
        return e / e.sum(dim=dim, keepdim=True)

    def naive(z, dim=-1):
        return z.exp() / z.exp().sum(dim=dim, keepdim=True)

    assert grader.check("q1", global_env={"softmax": softmax, "torch": torch}).passed_all
    assert not grader.check("q1", global_env={"softmax": naive, "torch": torch}).passed_all
    assert not grader.check("q1", global_env={}).passed_all


def _grade_all(generated: Path):
    jobs = []
    for name in EXERCISES:
        tests = grading.load_tests(generated / "exercises" / "autograders" / name)
        master = generated / "exercises" / "autograders" / name / f"{name}.ipynb"
        jobs.append((name, "master", master, tests))
        jobs.append((name, "blank", ROOT / "exercises" / f"{name}.ipynb", tests))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda j: grading.grade_submission(j[2], j[3], timeout=240,
                                                              env={"OMP_NUM_THREADS": "1"}), jobs)
        return {(j[0], j[1]): r for j, r in zip(jobs, results)}


@pytest.fixture(scope="module")
def graded(generated):
    return _grade_all(generated)


@pytest.mark.parametrize("name", EXERCISES)
def test_master_scores_full_marks(graded, name):
    r = graded[(name, "master")]
    assert r.status == "ok", r.status
    assert r.max_total > 0 and r.total == r.max_total, (r.scores, r.possible)
    assert all(r.scores[q] == r.possible[q] > 0 for q in r.possible)


@pytest.mark.parametrize("name", EXERCISES)
def test_blank_student_notebook_scores_zero_on_every_question(graded, name):
    r = graded[(name, "blank")]
    assert r.total < r.max_total
    assert all(score == 0 for score in r.scores.values()), r.scores
    assert r.status.startswith("error: NotImplementedError"), r.status
