"""dlbook.grading: the learner's grader, the hidden-test declarations, the plain-data codec, the
sandbox, scoring rules, safe output, seeds and shards.

The batch of broken and hostile submissions is in ``tests/grading_attacks/``. Here the kernel
tests grade one tiny notebook each, the shard test a tiny exercise three times (two shards and a
single run); the rest is fast.
"""

from __future__ import annotations

import base64
import csv
import importlib.util
import io
import json
import os
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
from dlbook.grading import _isolation, batch, codec, declare
from dlbook.grading._sandbox import landlock_abi

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_exercises  # noqa: E402

pytestmark = pytest.mark.slow  # kernels, subprocesses or training: left out of make unit-fast

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
                                  "ex06_gan", "ex07_distillation", "ex08_meta_learning", "ex09_diffusion", "ex10_llm",
                                  "ex11_adversarial", "ex12_distributed"]
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
    ref = {"answer": codec.encode(0.0), "again": codec.encode(0.0)}
    ok = {"answer": codec.encode(0.0), "after": {"w": w}, "again": codec.encode(0.0)}
    assert declare.judge(p, ok, ref, {}, {"w": w})[0]
    changed = codec.encode(torch.tensor([0.0, 2.0]))
    assert declare.judge(p, {**ok, "after": {"w": changed}}, ref, {}, {"w": w}) == (False, "w was changed in place")
    # a kernel that reports w as sent still answers the repeated call from the changed w
    ok_now, why = declare.judge(p, {**ok, "again": codec.encode(1.0)}, ref, {}, {"w": w})
    assert not ok_now and "second call" in why
    assert declare.judge(p, {"answer": codec.encode(0.0), "after": {"w": w}}, ref, {}, {"w": w}) == (
        False, "no answer to the repeated call")


def _step(w, X):
    return w - 0.1 * X.sum(0)


def _inplace_step(w, X):
    w -= 0.1 * X.sum(0)
    return w


def _reply(hidden, pid, ns):
    """A probe's reply as a kernel prints it (the payload built as batch._probe_cell builds it)."""
    import contextlib

    p = hidden.probes[pid]
    payload = {"code": p.code, "inputs": hidden.sent[pid], "after": list(p.unchanged),
               "again": hidden.sent_again.get(pid, {})}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        codec.run_probe(ns, json.dumps(payload), "M")
    return json.loads(out.getvalue().split("M ", 1)[1])


def test_redrawn_inputs_catch_an_in_place_change_whose_report_is_forged():
    """With redraw=, the repeated call gets new X: the answer of an in-place step from the
    changed w differs from the master's, and copying the first answer into it does not fit."""
    def inputs(r):
        return {"w": torch.randn(3, generator=r.torch), "X": torch.randn(4, 3, generator=r.torch)}

    p = declare.Probe("step(w, X)", inputs, unchanged=("w",), redraw=("X",))
    question = batch.Question("q1", [batch.Case(1.0, ["q1.0.0"])], all_or_nothing=False)
    hidden = grading.HiddenTests({"q1": question}, {"q1.0.0": p}, seed=SEED)
    batch._draw_inputs(hidden)
    assert not torch.equal(hidden.inputs["q1.0.0"]["X"], hidden.inputs_again["q1.0.0"]["X"])
    hidden.reference = {"q1.0.0": _reply(hidden, "q1.0.0", {"step": _step})}
    assert batch._verdicts(hidden, {"q1.0.0": _reply(hidden, "q1.0.0", {"step": _step})})["q1.0.0"][0]
    inplace = _reply(hidden, "q1.0.0", {"step": _inplace_step})
    assert batch._verdicts(hidden, {"q1.0.0": inplace})["q1.0.0"] == (False, "w was changed in place")
    forged = {**inplace, "after": {"w": hidden.sent["q1.0.0"]["w"]}, "again": inplace["answer"]}
    ok, why = batch._verdicts(hidden, {"q1.0.0": forged})["q1.0.0"]
    assert not ok and "second call" in why
    with pytest.raises(declare.DeclarationError, match="unchanged"):
        declare.probe("f(x)", redraw=("x",))


def test_raises_only_cases_score_only_with_the_value_cases():
    raises = declare.Probe("f(x)", raises="ValueError")
    value = declare.Probe("f(1)", check=lambda answer, reference, inputs: answer == 1)
    question = batch.Question("q1", [batch.Case(1.0, ["a"]), batch.Case(2.0, ["b"])], all_or_nothing=False)
    hidden = grading.HiddenTests({"q1": question}, {"a": raises, "b": value}, seed=SEED)
    assert batch._score(hidden, {"a": (True, ""), "b": (False, "")}) == {"q1": 0.0}
    assert batch._score(hidden, {"a": (True, ""), "b": (True, "")}) == {"q1": 3.0}
    assert batch._score(hidden, {"a": (False, ""), "b": (True, "")}) == {"q1": 2.0}
    only = _ok_test("q1", (">>> probe('f(x)', lambda r: {'x': 1}, raises='ValueError')\n", True, 1))
    with pytest.raises(declare.DeclarationError, match="raises="):
        grading.resolve({"q1": only}, "ex9")


def test_size_budget_is_counted_by_the_grader_buffers_included():
    class Hiding(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 3)  # 9 parameters
            self.register_buffer("hidden", torch.zeros(84, 1000))  # weights kept as a buffer

    model = Hiding()
    assert sum(p.numel() for p in model.parameters()) == 9, "what a kernel's count would say"
    node = json.loads(json.dumps(codec.encode(dict(model.state_dict()))))
    value = codec.decode(node, torch_tensors=False)
    assert declare.numel(value) == 9 + 84_000
    check = declare.size_at_most(1000)
    assert not check(value, None, {})
    small = codec.decode(codec.encode(dict(torch.nn.Linear(2, 3).state_dict())), torch_tensors=False)
    assert check(small, None, {}) and not check({}, None, {})
    with pytest.raises(TypeError, match="Opaque"):
        declare.numel(codec.Opaque("x"))


def test_statuses_and_csv_cells_are_made_safe():
    forged = "X\nalice.ipynb 16/16 ok\x1b[2J" + "A" * 5000
    status = batch.safe_status(forged)
    assert "\n" not in status and "\x1b" not in status and len(status) <= batch.MAX_STATUS_CHARS
    assert status.startswith("X\\nalice.ipynb 16/16 ok\\x1b[2J") and status.endswith("...")
    assert batch.safe_cell("=1+1") == "'=1+1" and batch.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert batch.safe_cell("-2+3") == "'-2+3" and batch.safe_cell("+1") == "'+1"
    assert batch.safe_cell("ok") == "ok" and batch.safe_cell("a\tb") == "a\\tb"


def test_shards_are_deterministic_slices():
    files = [Path(f"s{i:02d}.ipynb") for i in range(7)]
    slices = [batch.shard_files(list(reversed(files)), (k, 3)) for k in range(3)]
    assert sorted(f for s in slices for f in s) == files and sum(map(len, slices)) == 7
    assert slices[0] == [files[0], files[3], files[6]]
    assert batch.parse_shard("1/4") == (1, 4)
    for bad in ("4/4", "-1/2", "1", "a/b"):
        with pytest.raises(ValueError, match="K/N"):
            batch.parse_shard(bad)
    with pytest.raises(ValueError, match="seed"):
        grading.grade_batch(Path("."), Path("."), shard="0/2")


def _shard_csv(folder: Path, name: str, shard: str | None, rows: list[list[str]], seed: int = 5) -> Path:
    results = [grading.SubmissionResult(r[0], {"q1": float(r[1])}, {"q1": 1.0}, "ok", details={"sandbox": "m"})
               for r in rows]
    meta = {"exercise": "ex9", "seed": seed, "sandbox": "m", "shard": shard, "questions": ["q1"],
            "submissions": [r[0] for r in rows]}
    return grading.write_csv(results, folder / name, ["q1"], meta=meta)


def test_merge_checks_its_shards(tmp_path):
    a = _shard_csv(tmp_path, "a.csv", "0/2", [["b.ipynb", "1"], ["d.ipynb", "0"]])
    b = _shard_csv(tmp_path, "b.csv", "1/2", [["a.ipynb", "0"], ["c.ipynb", "1"]])
    out = grading.merge(tmp_path / "all.csv", [a, b])
    rows = list(csv.reader(out.open()))
    assert [r[0] for r in rows[1:]] == ["a.ipynb", "b.ipynb", "c.ipynb", "d.ipynb"]
    assert json.loads(batch.meta_path(out).read_text())["seed"] == 5
    with pytest.raises(ValueError, match="0/2 .. 1/2"):
        grading.merge(tmp_path / "x.csv", [a])
    other = _shard_csv(tmp_path, "c.csv", "1/2", [["e.ipynb", "1"]], seed=6)
    with pytest.raises(ValueError, match="seed"):
        grading.merge(tmp_path / "x.csv", [a, other])
    b.write_text(b.read_text().replace("c.ipynb,1", "c.ipynb,9"))
    with pytest.raises(ValueError, match="changed"):
        grading.merge(tmp_path / "x.csv", [a, b])


def test_no_sandbox_means_no_grading_unless_told(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "broken.ipynb").write_text("{ not a notebook")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "q1.py").write_text(TINY_TESTS["q1"])
    monkeypatch.setattr(_isolation, "bwrap_path", lambda: None)
    with pytest.raises(grading.SandboxUnavailable, match="unsafe-no-sandbox"):
        grading.grade_batch(folder, tmp_path)
    with pytest.raises(SystemExit) as stop:
        grading.main([str(tmp_path), str(folder)])
    assert stop.value.code == 3 and "refusing to grade" in capsys.readouterr().err
    assert not (folder / "grades.csv").exists()
    assert grading.main([str(tmp_path), str(folder), "--unsafe-no-sandbox"]) == 0
    rows = list(csv.DictReader((folder / "grades.csv").open()))
    assert rows[0]["sandbox"].startswith("unsafe-no-sandbox")
    assert json.loads((folder / "grades.json").read_text())["sandbox"].startswith("unsafe-no-sandbox")


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
    r = grading.SubmissionResult("a.ipynb", {"q1": 1.0, "q2": 0.5}, {"q1": 1.0, "q2": 2.0}, "ok",
                                 details={"sandbox": "bwrap+userns"})
    path = grading.write_csv([r], tmp_path / "grades.csv", ["q1", "q2"], meta={"seed": 3})
    rows = list(csv.reader(path.open()))
    assert rows == [["submission", "q1", "q2", "total", "possible", "status", "sandbox"],
                    ["a.ipynb", "1", "0.5", "1.5", "3", "ok", "bwrap+userns"]]
    assert json.loads((tmp_path / "grades.json").read_text())["seed"] == 3


def _worker_imports(skip: bool) -> dict:
    """In a fresh isolated interpreter, as the grader starts the worker: import the worker, maybe
    call its ``_skip_the_iri_grammar``, then read and validate a real notebook with nbformat."""
    code = "\n".join([
        "import json, sys",
        f"sys.path.insert(0, {str(ROOT / 'dlbook' / 'grading')!r})",
        "import _worker",
        "_worker._skip_the_iri_grammar()" if skip else "",
        "import nbformat, nbclient",
        f"nb = nbformat.read({str(ROOT / 'exercises' / (EX + '.ipynb'))!r}, as_version=4)",
        "nbformat.validate(nb)",
        "print(json.dumps({'grammar': sys.modules.get('rfc3987_syntax') is not None, 'cells': len(nb.cells)}))",
    ])
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(importlib.util.find_spec("rfc3987_syntax") is None,
                    reason="rfc3987_syntax is not installed here, so there is no grammar to skip")
def test_the_worker_reads_notebooks_without_compiling_the_iri_grammar():
    """Every submission starts a worker that imports nbformat, and with it jsonschema, which
    compiles an RFC 3987 grammar at import (about 2 s of CPU) when rfc3987_syntax is installed.
    The worker marks that module missing; notebooks still read and validate."""
    plain, worker = _worker_imports(skip=False), _worker_imports(skip=True)
    assert plain["grammar"], "control: a plain import of nbformat loads rfc3987_syntax here"
    assert not worker["grammar"], "the worker's nbformat import compiled the RFC 3987 grammar"
    assert worker["cells"] == plain["cells"] > 0


# ------------------------------------------------------------------ one tiny notebook each


@pytest.fixture
def sandbox() -> str:
    """The sandbox mode; skips the test without bubblewrap (fails under CI=true)."""
    ok, why = _isolation.check_bwrap()
    if not ok:
        message = f"bubblewrap cannot run here ({why}); `make unit` installs it as root"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return grading.sandbox_mode()


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


def test_a_loop_that_ignores_interrupts_hits_the_hard_limit(tmp_path, sandbox):
    nb = _tiny_notebook(
        tmp_path / "stubborn.ipynb",
        "x = 1",
        "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass",
    )
    start = time.monotonic()
    r = grading.grade_submission(nb, TINY_TESTS, timeout=20, cell_timeout=3)  # the kernel must start first
    assert time.monotonic() - start < 20 + 15
    assert r.status == "timeout"
    assert r.scores == {"q1": 0.0} and r.possible == {"q1": 1.0}
    killed = r.details["killed"]
    assert killed, "the timed-out worker's kernel was found"
    assert all(_dead(pid) for pid in killed), "the kernel of a timed-out submission must be killed"


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        children = batch._child_pids(todo.pop())   # the grader's own /proc scan
        found += children
        todo += children
    return found


GRADE_IN_A_CHILD = """
import json, sys
from dlbook import grading
grading.grade_submission(sys.argv[1], json.loads(sys.argv[2]), timeout=600, cell_timeout=300)
"""


def test_a_killed_grader_takes_its_sandboxes_with_it(tmp_path, sandbox):
    """A grader killed outright (SIGKILL: no clean-up runs) must not leave a submission running,
    here one that sleeps and ignores interrupts, which no resource limit would ever end."""
    nb = _tiny_notebook(
        tmp_path / "sleeper.ipynb",
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.5)",
    )
    grader = subprocess.Popen([sys.executable, "-c", GRADE_IN_A_CHILD, str(nb), json.dumps(TINY_TESTS)])
    try:
        deadline = time.monotonic() + 90
        tree: list[int] = []
        while time.monotonic() < deadline:
            tree = _descendants(grader.pid)
            if any(b"ipykernel" in Path(f"/proc/{p}/cmdline").read_bytes() for p in tree
                   if Path(f"/proc/{p}/cmdline").exists()):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the submission's kernel did not start in 90 s (grader's tree: {tree})")
        time.sleep(1)
        tree = _descendants(grader.pid)
    finally:
        grader.kill()
        grader.wait()
    alive = [pid for pid in tree if not _dead(pid)]
    assert not alive, f"processes of a killed grader still running: {alive}"
    # Its control groups (where the machine gives the grader some) go when the next grader makes its own.
    left = lambda: sorted(Path("/sys/fs/cgroup").rglob(f"dlbook-{grader.pid}-*"))  # noqa: E731
    had = left()
    group = _isolation.Cgroup.create(None, 64)
    if group is not None:
        group.remove()
    assert not left(), f"a killed grader's control groups were left behind: {had}"


def test_a_submission_over_its_memory_limit_fails_alone(tmp_path, sandbox):
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
attempt("list grader folders", lambda: os.listdir(GRADER_DIR))
attempt("write own folder", lambda: overwrite("mine.txt"))
import socket
attempt("connect to the grader", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=5).close())
attempt("signal the worker", lambda: os.kill(os.getppid(), 0))
x = 1
"""


def test_a_submission_cannot_read_or_write_outside_its_folder(tmp_path, sandbox):
    secret, other = tmp_path / "hidden_tests.py", tmp_path / "other_submission.ipynb"
    secret.write_text("the hidden tests")
    other.write_text("another student's notebook")
    listener = socket.create_server(("127.0.0.1", 0))  # a port of the grader's machine
    source = (f"SECRET, OTHER, PORT, GRADER_DIR = {str(secret)!r}, {str(other)!r}, {listener.getsockname()[1]}, "
              f"{str(tmp_path)!r}\n" + ATTACK)
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
    # outside its folder nothing is even visible (FileNotFoundError) or it is refused
    for what in ("read secret", "write secret", "write other submission", "list grader folders",
                 "connect to the grader", "signal the worker"):
        assert log[what] in ("FileNotFoundError", "PermissionError", "ConnectionRefusedError", "OSError",
                             "ProcessLookupError"), (what, log)
    assert secret.read_text() == "the hidden tests" and other.read_text() == "another student's notebook"


def test_make_grade_command_line(tmp_path, capsys, sandbox):
    """The command line `make grade` runs: prints one line per submission, writes grades.csv and
    grades.json (seed and sandbox mode)."""
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "broken.ipynb").write_text("{ this is not a notebook")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "q1.py").write_text(TINY_TESTS["q1"])
    assert grading.main([str(tmp_path), str(folder), "--timeout", "30", "--seed", "77"]) == 0
    printed = capsys.readouterr().out
    assert "broken.ipynb" in printed and "grades.csv" in printed and f"sandbox: {sandbox}" in printed
    rows = list(csv.reader((folder / "grades.csv").open()))
    assert rows[1] == ["broken.ipynb", "0", "0", "1", "error: unreadable notebook (NotJSONError)", sandbox]
    meta = json.loads((folder / "grades.json").read_text())
    assert meta["seed"] == 77 and meta["sandbox"] == sandbox and meta["submissions"] == ["broken.ipynb"]
    with pytest.raises(SystemExit):
        grading.main([str(tmp_path)])  # the submissions folder is required


def test_a_master_that_raises_on_a_probe_stops_the_batch(tmp_path, sandbox):
    """A typo in a probe's code makes the master raise; that must not become the expected answer."""
    master = _tiny_notebook(tmp_path / "master.ipynb", "x = 1")
    tests = {"q1": _ok_test("q1", (">>> probe('x + undefined_name')\n", True, 1))}
    with pytest.raises(RuntimeError, match="the master raised NameError"):
        grading.prepare(tests, master=master, timeout=60)


def _alive_with(token: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if token.encode() in (entry / "cmdline").read_bytes() and not _dead(int(entry.name)):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def test_a_detached_process_does_not_outlive_its_submission(tmp_path, sandbox):
    """A daemon that double-forks, leaves the kernel's session and clears its environment dies
    with its submission (the sandbox's PID namespace), though it sleeps and uses no CPU."""
    token = f"dlbook-daemon-{os.getpid()}-{time.monotonic_ns()}"
    spawn = ("import os, sys, time\n"
             "if os.fork() == 0:\n"
             "    os.setsid()\n"
             "    if os.fork() == 0:\n"
             f"        os.execve(sys.executable, [sys.executable, '-c', 'import time; time.sleep(600)', {token!r}], {{}})\n"
             "    os._exit(0)\n"
             "time.sleep(1)\n"
             "x = 1\n")
    nb = _tiny_notebook(tmp_path / "daemon.ipynb", spawn)
    r = grading.grade_submission(nb, TINY_TESTS, timeout=60)
    assert r.status == "ok" and r.scores == {"q1": 1.0}, (r.status, r.details)
    assert _alive_with(token) == []


def test_import_dlbook_needs_no_unix_module_and_loads_no_grader(tmp_path):
    """As on Windows: with resource, fcntl and landlock unavailable, `import dlbook` works, imports
    no grading module, and a small fit runs; dlbook.grading is still reachable (on first use)."""
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name in ('resource', 'fcntl', 'landlock') or name.startswith('landlock.'):\n"
        "            raise ImportError(f'{name} is blocked (as on Windows)')\n"
        "        return None\n"
        "sys.meta_path.insert(0, Block())\n"
        "for name in ('resource', 'fcntl'):\n"
        "    sys.modules.pop(name, None)\n")
    code = (
        "import sys, torch\n"
        "import dlbook\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('dlbook.grading'))\n"
        "assert loaded == [], loaded\n"
        "assert 'resource' not in sys.modules and 'fcntl' not in sys.modules\n"
        "X = torch.randn(64, 3, generator=torch.Generator().manual_seed(0)); y = (X.sum(1) > 0).long()\n"
        "data = torch.utils.data.TensorDataset(X, y)\n"
        "loader = torch.utils.data.DataLoader(data, batch_size=16)\n"
        "model = torch.nn.Linear(3, 2)\n"
        "h = dlbook.fit(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.5), loader,\n"
        "               epochs=3, progress=False)\n"
        "assert len(h['train_loss']) == 3 and h['train_loss'][-1] < h['train_loss'][0], h.records\n"
        "print('fit ok')\n"
        "try:\n"
        "    import resource\n"
        "except ImportError as err:\n"
        "    print('really', err)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]), "DLBOOK_PROGRESS": "0"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "fit ok" in out.stdout and "really resource is blocked" in out.stdout, out.stdout
    plain = subprocess.run([sys.executable, "-c", "import dlbook, sys; assert 'dlbook.grading' not in sys.modules; "
                            "from dlbook import grading; print(grading.exercises()[:1])"],
                           capture_output=True, text=True, timeout=300)
    assert plain.returncode == 0 and "ex00_introduction" in plain.stdout, plain.stderr[-2000:]


def test_the_grader_imports_no_dlbook_module_upward():
    """grading/batch.py (and the files a worker or kernel runs) import nothing from dlbook above
    grading: the package stays a part instructors add, not a dependency of the rest."""
    import ast

    folder = ROOT / "dlbook" / "grading"
    for name in ("batch.py", "_isolation.py", "_sandbox.py", "_worker.py", "codec.py", "cli.py", "__init__.py"):
        tree = ast.parse((folder / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(a.name == "dlbook" or a.name.startswith("dlbook.") and not a.name.startswith(
                    "dlbook.grading") for a in node.names), (name, ast.dump(node))
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, (name, node.module)
                assert node.level == 1 or not (node.module or "").startswith("dlbook"), (name, node.module)


TINY_MASTER_TESTS = {
    "q1": _ok_test("q1", (">>> probe('f(a)', lambda r: {'a': float(r.np.normal())})\n", True, 1)),
    "q2": _ok_test("q2", (">>> probe('g', atol=0)\n", True, 2)),
}


def test_two_shards_in_parallel_merge_to_the_single_run(tmp_path, sandbox):
    """The single run's seed (random, from its sidecar) regrades identically in two shards run
    side by side; merge joins them into the very same grades.csv."""
    from concurrent.futures import ThreadPoolExecutor

    ag = tmp_path / "ex9_tiny"
    (ag / "tests").mkdir(parents=True)
    for q, text in TINY_MASTER_TESTS.items():
        (ag / "tests" / f"{q}.py").write_text(text)
    _tiny_notebook(ag / "ex9_tiny.ipynb", "def f(a):\n    return 2 * a", "g = 3")
    subs = tmp_path / "subs"
    subs.mkdir()
    _tiny_notebook(subs / "a_right.ipynb", "def f(a):\n    return a + a", "g = 3")
    _tiny_notebook(subs / "b_half.ipynb", "def f(a):\n    return 2 * a", "g = 4")
    _tiny_notebook(subs / "c_wrong.ipynb", "def f(a):\n    return a", "g = 4")
    (subs / "d_broken.ipynb").write_text("{ nope")
    single = grading.grade_batch(subs, ag, timeout=60, workers=1)
    seed = json.loads((subs / "grades.json").read_text())["seed"]
    assert [r.total for r in single] == [3, 1, 0, 0]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda k: grading.main([str(ag), str(subs), "--timeout", "60", "--workers", "1", "--seed",
                                              str(seed), "--shard", f"{k}/2"]), range(2)))
    shards = sorted(subs.glob("grades.shard-*-of-2.csv"))
    assert len(shards) == 2
    assert grading.main(["merge", str(tmp_path / "merged.csv"), *map(str, shards)]) == 0
    assert (tmp_path / "merged.csv").read_text() == (subs / "grades.csv").read_text()
