"""The graded exercises: masters, generated student notebooks, public and hidden tests.

Grading runs four Jupyter kernels per exercise, two at a time (about six minutes for the 13
exercises on two shared cores): the master for the reference answers, then the master, the
blank student notebook and a tampering notebook as submissions. The rest is fast.
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

sys.path.insert(0, str(ROOT / "tests" / "grading_attacks"))
from attacks import PATCHES  # noqa: E402
from exercise_mistakes import MISTAKES, readme_table  # noqa: E402
from notebook_setup import SETUP_TAG, setup_source  # noqa: E402

from dlbook import grading  # noqa: E402
from dlbook.grading import batch, codec  # noqa: E402

pytestmark = pytest.mark.slow  # kernels, subprocesses or training: left out of make unit-fast

# Every exercise on disk (a master in exercises/masters/), each beside the chapter it closes.
EXERCISES = sorted(p.stem for p in (ROOT / "exercises" / "masters").glob("ex[0-9][0-9]_*.ipynb"))
CHAPTER_DIRS = {ex: f"chapters/{ex[2:]}" for ex in EXERCISES}
# The numeric-answer and train-to-a-threshold question of each exercise.
NUMERIC = {"ex00_introduction": ("q3", "w_two_steps"), "ex01_neurons": ("q4", "n_params"),
           "ex02_backprop": ("q5", "p_after_first_step"), "ex03_cnn": ("q4", "lenet5_params"),
           "ex04_rnn": ("q3", "gru_params"), "ex05_transformer": ("q3", "encoder_layer_params"),
           "ex06_gan": ("q2", "d_star_at_0"), "ex07_distillation": ("q6", "int8_layer_bytes"),
           "ex08_meta_learning": ("q5", "best_fixed_mse"), "ex09_diffusion": ("q5", "t_half"),
           "ex10_llm": ("q4", "tinyllama_params"),
           "ex11_adversarial": ("q3", "digit_increase"), "ex12_distributed": ("q2", "llama13b_stage2_gb")}
THRESHOLD = {"ex00_introduction": "q4", "ex01_neurons": "q5", "ex02_backprop": "q6", "ex03_cnn": "q5", "ex04_rnn": "q6",
             "ex05_transformer": "q4", "ex06_gan": "q6", "ex07_distillation": "q7",
             "ex08_meta_learning": "q6", "ex09_diffusion": "q6", "ex10_llm": "q7", "ex11_adversarial": "q6",
             "ex12_distributed": "q6"}
# How each threshold question states its bar (default: an accuracy or a loss).
THRESHOLD_TEXT = {"ex06_gan": ("**60%**",), "ex07_distillation": ("92%",),
                  "ex08_meta_learning": ("80%",), "ex09_diffusion": ("60%",), "ex10_llm": ("90%",),
                  "ex11_adversarial": ("70%",)}


def test_every_exercise_on_disk_is_described_here():
    """A new exercise must name its numeric and threshold questions below, and close a chapter."""
    assert len(EXERCISES) >= 9, EXERCISES
    assert set(NUMERIC) == set(THRESHOLD) == set(EXERCISES), (
        f"describe every exercise of exercises/masters/ in NUMERIC and THRESHOLD: "
        f"missing {sorted(set(EXERCISES) - set(NUMERIC))}, stale {sorted(set(NUMERIC) - set(EXERCISES))}")
    missing = [d for d in CHAPTER_DIRS.values() if not (ROOT / d).is_dir()]
    assert not missing, f"exercises whose chapter folder does not exist: {missing}"


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Reference answers computed in this process are small: one thread, as in the grader's kernels
    (two threads on a loaded 2-core machine spin and burn CPU)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


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
            line = max((ln[4:].strip() for ln in case["code"].splitlines() if ln.startswith(">>> ")), key=len)
            assert json.dumps(line)[1:-1] not in student and line not in shipped, f"{name} {q} leaks: {line}"
        # every hidden case is a declaration the grader runs outside the submission
        questions, probes = grading.resolve({q: (generated / "exercises" / "autograders" / name / "tests"
                                                 / f"{q}.py").read_text()}, name)
        assert len(questions[q].cases) == len(hidden) and probes


@pytest.mark.parametrize("name", EXERCISES)
def test_student_notebook_layout(name):
    nb = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == setup_source(extras="[grade]"), "first cell installs dlbook[grade] in Colab"
    assert SETUP_TAG in code[0].metadata.get("tags", []), "the set-up cell is hidden on the website"
    assert f'grading.notebook("{name}")' in code[1].source
    text = "\n".join(c.source for c in nb.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "# SOLUTION", "BEGIN TESTS", "HIDDEN", "ASSIGNMENT CONFIG"):
        assert marker not in text, f"{name}: otter marker {marker!r} left in the student notebook"
    assert all(not c.get("outputs") for c in code), "student notebooks are stored without outputs"
    # links back to its chapter, and the link points at something that exists
    links = re.findall(r"\]\((\.\./chapters/[^)\s]+)\)", text)
    if not (ROOT / CHAPTER_DIRS[name]).is_dir():
        # written before its chapter (on another branch): no link to a page that does not exist yet (the book
        # build would warn), but the chapter is named; once the chapter exists, this asks for the link
        assert not links and "Chapter " in text, f"{name}: name the chapter, and link it once {CHAPTER_DIRS[name]} exists"
        links = []
    else:
        assert links, f"{name} does not link to its chapter"
    for link in links:
        assert link[3:].startswith(CHAPTER_DIRS[name])
        assert (ROOT / "exercises" / link).resolve().exists(), f"{name} links to missing {link}"
    # a numeric-answer question and a train-to-a-threshold question
    q, var = NUMERIC[name]
    assert re.search(rf"^{var} = \.\.\.$", text, flags=re.M), f"{name}: numeric answer {var} = ... missing"
    assert f'grader.check("{THRESHOLD[name]}")' in text
    assert any(t in text for t in THRESHOLD_TEXT.get(name, ("95%", "0.015"))), "the threshold is stated"


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


# A dishonest submission: every stub replaced by a dummy of the right type, every numeric answer
# by 0, and a last cell that replaces the functions an in-kernel test would compare with.
DUMMIES = {
    "mse": "return torch.zeros(())",
    "gd_step": "return w, torch.as_tensor(b)",
    "fit_line": "return torch.zeros(1), torch.tensor(0.0)",
    "softmax": "return torch.zeros_like(z)",
    "cross_entropy": "return torch.zeros(())",
    "perceptron_update": "return w, b",
    "train_mlp": "return nn.Linear(64, 10)",
    "output_term": "return np.zeros_like(y_hat)",
    "hidden_term": "return np.zeros_like(b)",
    "bp_step": "return V, gamma, W, theta",
    "adam_step": "return p, m, v",
    "train_with_adam": "return nn.Linear(64, 10)",
    "conv_output_size": "return n",
    "conv2d_loops": "return x",
    "max_pool2d": "return x",
    "train_cnn": "return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Flatten(), nn.Linear(256, 10))",
    "masked_attention": "return v[..., :1, :].expand(*q.shape[:-1], v.shape[-1]), (q @ k.transpose(-2, -1)).softmax(-1)",
    "sinusoidal_pe": "return torch.zeros(max_len, d_model)",
    "train_reverser": "return nn.Embedding(10, 10)",
    "mlm_mask": "return ids.clone(), torch.full_like(ids, -100)",
    "bert_params": "return 0",
    "multi_head_self_attention": "return x, torch.zeros(x.shape[0], num_heads, x.shape[1], x.shape[1])",
    "lstm_step": "return h, c",
    "clip_by_global_norm": "return list(grads), 0.0",
    "attention_weights": "return mask.float()",
    "greedy_decode": "return torch.zeros(state.shape[0], max_len, dtype=torch.long)",
    "train_recall": "return nn.Sequential(nn.Embedding(8, 4), nn.Flatten(), nn.Linear(120, 4))",
    "d_loss": "return torch.zeros(())",
    "g_loss_saturating": "return torch.zeros(())",
    "g_loss_non_saturating": "return torch.zeros(())",
    "critic_update": "return 0.0",
    "conv_transpose_size": "return n",
    "modes_covered": "return 0",
    "train_ring_cgan": "return lambda z, labels: z",
    "sample_episode_indices": "return (torch.zeros(n_way * k_shot, dtype=torch.long), torch.zeros(n_way * n_query, "
                              "dtype=torch.long), torch.zeros(n_way, dtype=torch.long))",
    "inner_step": "return dict(params)",
    "first_order_meta_grad": "return {k: torch.zeros_like(v) for k, v in params.items()}",
    "prototypes": "return emb[:n_way]",
    "protonet_logits": "return query @ protos.T",
    "softmax_t": "return torch.zeros_like(z)",
    "kd_loss": "return torch.zeros(())",
    "prune_by_magnitude": "return w.clone()",
    "quantize_int8": "return w.to(torch.int8), torch.ones(())",
    "low_rank_factors": "return W[:, :r], torch.eye(r, W.shape[1], dtype=W.dtype)",
    "distil_student": "return nn.Sequential(nn.Linear(64, 12), nn.ReLU(), nn.Linear(12, 10))",  # untrained: far below 92%
    "train_protonet": "return nn.Flatten()",  # raw pixels: about 67%, below the 80% asked
    "bpe_train": "return [(97, 98)] * k",
    "bpe_encode": "return list(text.encode())",
    "rms_norm": "return x",
    "apply_rope": "return x",
    "llama_num_parameters": "return 0",
    "sft_loss": "return torch.zeros(())",
    "__init__": "super().__init__(); self.base = base; self.scaling = 1.0; "
                "self.lora_A = nn.Parameter(torch.zeros(r, base.in_features)); "
                "self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))",
    "forward": "return self.base(x)",
    "merge": "return self.base",
    "lora_finetune": "return base",  # the frozen base: about 40% on the mirrored digits
    "prefix_kv": "return [(out[:, :1].expand(batch_size, n_heads, out.shape[0], 1),) * 2 for _ in range(n_layers)]",
    "q_sample": "return x0.clone()",
    "posterior_mean_variance": "return x_t.clone(), torch.zeros(len(x_t), 1, dtype=x_t.dtype)",
    "ddpm_step": "return x_t.clone()",
    "ddim_step": "return x_t.clone()",
    "train_denoiser": "return dm.MLPDenoiser(dim=2, hidden=8, depth=1, emb_dim=4)",  # untrained: noise, not the ring
    "fgsm": "return x.detach().clone()",
    "pgd_step": "return x_adv.detach().clone()",
    "max_linear_increase": "return 0.0",
    "normalize_answer": "return text",
    "f1_score": "return 0.0",
    "decode_spans": "return start_logits.argmax(1), start_logits.argmax(1)",
    "train_robust": "return nn.Sequential(nn.Linear(64, 10))",  # untrained: about 10%
    "ring_allreduce": "return [t.clone() for t in tensors], [0] * len(tensors)",
    "zero_memory_per_gpu": "return 0.0",
    "pipeline_bubble": "return 0.0",
    "ddp_hyperparameters": "return per_worker_batch, base_lr",
    "data_parallel_grads": "return [[torch.zeros_like(p) for p in model.parameters()] for _ in range(world_size)], "
                           "[torch.zeros_like(p) for p in model.parameters()]",
    "train_data_parallel": "return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))",  # untrained: ~10%
}
# Every comparison the grader might use, monkeypatched in the submission's kernel: the same
# patches as the attack suite's (one source, tests/grading_attacks/attacks.py).
TAMPER = PATCHES


def _tampered(name: str, path: Path) -> Path:
    nb = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    stubs = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for fn in re.findall(r'raise NotImplementedError\("write (\w+)"\)', cell.source):
            cell.source = cell.source.replace(f'raise NotImplementedError("write {fn}")', DUMMIES[fn])
            stubs += 1
        cell.source = re.sub(r"^(\w+) = \.\.\.$", r"\1 = 0", cell.source, flags=re.M)
    assert stubs >= 3 and "NotImplementedError" not in "".join(c.source for c in nb.cells if c.cell_type == "code")
    nb.cells.append(nbformat.v4.new_code_cell(TAMPER))
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def graded(generated, tmp_path_factory):
    """Per exercise: the master, the blank and the tampering notebook, graded as submissions on
    the same hidden inputs (the master's reference answers are computed first, in prepare)."""
    tmp = tmp_path_factory.mktemp("tampered")
    env = {"OMP_NUM_THREADS": "1"}
    with ThreadPoolExecutor(max_workers=2) as pool:
        hidden = dict(zip(EXERCISES, pool.map(
            lambda n: grading.prepare(generated / "exercises" / "autograders" / n, seed=7, timeout=240, env=env),
            EXERCISES)))
        jobs = []
        for name in EXERCISES:
            jobs.append((name, "master", generated / "exercises" / "autograders" / name / f"{name}.ipynb"))
            jobs.append((name, "blank", ROOT / "exercises" / f"{name}.ipynb"))
            jobs.append((name, "tampered", _tampered(name, tmp / f"{name}.ipynb")))
        results = pool.map(lambda j: grading.grade_submission(j[2], hidden[j[0]], timeout=240, env=env), jobs)
        return {(j[0], j[1]): r for j, r in zip(jobs, results)}


@pytest.mark.parametrize("name", EXERCISES)
def test_master_scores_full_marks(graded, name):
    r = graded[(name, "master")]
    assert r.status == "ok", r.status
    assert r.max_total > 0 and r.total == r.max_total, (r.scores, r.possible, r.details)
    assert all(r.scores[q] == r.possible[q] > 0 for q in r.possible)


@pytest.mark.parametrize("name", EXERCISES)
def test_blank_student_notebook_scores_zero_on_every_question(graded, name):
    r = graded[(name, "blank")]
    assert r.total < r.max_total
    assert all(score == 0 for score in r.scores.values()), r.scores
    assert r.status.startswith("error: NotImplementedError"), r.status


@pytest.mark.parametrize("name", EXERCISES)
def test_tampering_scores_no_more_than_the_blank(graded, name):
    """Dummies of the right types plus patched np.allclose, numpy.testing, torch.allclose,
    torch.testing and dlbook.accuracy: in-kernel tests would pass; the grader's verdicts do not."""
    r, blank = graded[(name, "tampered")], graded[(name, "blank")]
    assert r.status == "ok", r.status  # every cell ran: the dummies are well typed
    assert all(r.scores[q] <= blank.scores[q] for q in r.scores), (r.scores, r.details)


def test_a_master_in_the_old_form_is_refused(tmp_path):
    """make_exercises names the exercise, the question and the test that still uses assertions."""
    nb = nbformat.read(ROOT / "exercises" / "masters" / "ex00_introduction.ipynb", as_version=4)
    hidden = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("# HIDDEN")
              and "w_two_steps" in c.source]
    assert len(hidden) == 1
    hidden[0].source = "# HIDDEN\nassert abs(w_two_steps - 1.08) < 1e-6"
    master = tmp_path / "masters" / "ex00_introduction.ipynb"
    master.parent.mkdir()
    nbformat.write(nb, master)
    with pytest.raises(grading.DeclarationError, match=r"ex00_introduction q3 hidden test \d+ is in the old form"):
        make_exercises.generate(master, tmp_path / "out")


# --------------------------------------------------------------------------------------------
# The classic mistakes (tests/exercise_mistakes.py): the public test names the fix, the hidden
# tests give zero. Both run in this process on the master's solution cells with the one mistaken
# definition put in their place: the public tests through otter, as `grader.check` runs them for
# a learner; the hidden tests through the grader's own declarations, inputs, reference answers,
# verdicts and scores (`dlbook.grading.batch`), without starting a kernel per mistake.
# --------------------------------------------------------------------------------------------

MISTAKE_SEEDS = (7, 8, 9)  # hidden inputs are drawn afresh for every batch: try several


def _solution_namespace(generated: Path, name: str) -> dict:
    """The master's code cells run in a dict: imports, helpers and every reference solution (the
    training functions defined but not called: no ``model = train_...()`` line) and no ``grader.check`` cells."""
    nb = nbformat.read(generated / "exercises" / "autograders" / name / f"{name}.ipynb", as_version=4)
    ns: dict = {"__name__": "__main__"}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "grader.check" in cell.source:
            continue
        source = re.sub(r"^\w+ = (train|distil)_\w+\(.*$", "", cell.source, flags=re.M)  # define, don't train
        exec(compile(source, f"<{name} cell {i}>", "exec"), ns)
    return ns


def _first_error(result) -> str:
    """The message of the first exception in the first failing public test case: what a learner
    reads first under ``grader.check`` (the doctest output also echoes the source of every line
    it tried, hints of passing assertions included, so the whole output is not a fair match)."""
    for case in result.test_case_results:
        if case.passed:
            continue
        text = case.message
        if "Exception raised:" not in text:
            return text.strip().splitlines()[-1].strip()
        # doctest goes on after a failure: the traceback is the indented block that follows,
        # up to the next unindented line ("Trying:", "****..."); its last line is the exception
        block = []
        for line in text.split("Exception raised:", 1)[1].splitlines()[1:]:
            if not line.startswith(" "):
                break
            block.append(line.strip())
        return block[-1] if block else ""
    return ""


def _answers(hidden, ns: dict) -> dict:
    """Every probe's reply from the namespace ``ns``, by the code a kernel runs (codec.run_probe)."""
    import contextlib
    import io

    replies = {}
    for pid, p in hidden.probes.items():
        payload = json.dumps({"code": p.code, "inputs": hidden.sent[pid], "after": list(p.unchanged)})
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            codec.run_probe(ns, payload, "MARK")
        line = [ln for ln in out.getvalue().splitlines() if ln.startswith("MARK ")][-1]
        replies[pid] = json.loads(line[len("MARK "):])
    return replies


def _hidden_score(generated: Path, name: str, q: str, ns: dict, reference_ns: dict, seed: int):
    """(score, possible, why each probe failed) of question ``q`` answered from ``ns``."""
    source = (generated / "exercises" / "autograders" / name / "tests" / f"{q}.py").read_text()
    questions, probes = grading.resolve({q: source}, name)
    hidden = grading.HiddenTests(questions, probes, seed)
    batch._draw_inputs(hidden)
    hidden.reference = _answers(hidden, reference_ns)
    verdicts = batch._verdicts(hidden, _answers(hidden, ns))
    return (batch._score(hidden, verdicts)[q], hidden.possible[q],
            {pid: why for pid, (ok, why) in verdicts.items() if not ok})


def test_every_question_lists_its_mistakes():
    """The table covers every question of every exercise but the train-to-a-threshold ones (their
    shortcuts are checked below), with at least three mistakes each, names only existing questions,
    and exercises/README.md holds the table as `python tests/exercise_mistakes.py` prints it."""
    readme = (ROOT / "exercises" / "README.md").read_text()
    assert set(MISTAKES) == set(EXERCISES)
    for name in EXERCISES:
        n_questions = len(list((ROOT / "dlbook" / "exercise_tests" / name).glob("q*.py")))
        expected = {f"q{i}" for i in range(1, n_questions + 1)} - {THRESHOLD[name]}
        assert set(MISTAKES[name]) == expected, name
        for q, mistakes in MISTAKES[name].items():
            assert len(mistakes) >= 3, (name, q)
            assert len({m[0] for m in mistakes}) == len(mistakes), (name, q)
    assert readme_table() in readme, "exercises/README.md: paste the output of `python tests/exercise_mistakes.py`"


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_public_tests_catch_the_classic_mistakes(generated, name, tmp_path, monkeypatch):
    """For every listed mistake: the public test fails and its first message holds the hint
    (a) and the hidden tests score the question zero on several draws of their inputs (b);
    the reference solution itself passes both, so neither verdict is vacuous."""
    monkeypatch.chdir(tmp_path)  # otter writes its .OTTER_LOG here
    monkeypatch.delenv("DLBOOK_GRADING", raising=False)
    reference = _solution_namespace(generated, name)
    grader = reference["grader"]
    problems = []
    for q, mistakes in MISTAKES[name].items():
        assert grader.check(q, global_env=dict(reference)).passed_all, f"{name} {q}: the reference fails its public test"
        for seed in MISTAKE_SEEDS:
            score, possible, failed = _hidden_score(generated, name, q, reference, reference, seed)
            assert possible > 0 and score == possible, f"{name} {q}: the reference scores {score}/{possible} ({failed})"
        for mistake, code, hint in mistakes:
            ns = dict(reference)
            exec(compile(code, f"<{name} {q}: {mistake}>", "exec"), ns)
            result = grader.check(q, global_env=ns)
            message = _first_error(result)
            if result.passed_all:
                problems.append(f"{q} '{mistake}': passes the public test")
            elif hint not in message:
                problems.append(f"{q} '{mistake}': public message {message!r} lacks the hint {hint!r}")
            for seed in MISTAKE_SEEDS:
                score, possible, failed = _hidden_score(generated, name, q, ns, reference, seed)
                if score != 0:
                    problems.append(f"{q} '{mistake}': hidden tests give {score}/{possible} (seed {seed})")
    assert not problems, f"{name}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------------------------
# Verdicts that must not depend on the batch seed, and the shortcuts of the threshold questions.
# --------------------------------------------------------------------------------------------

def _mistake(name: str, q: str, label: str) -> str:
    return next(code for m, code, _ in MISTAKES[name][q] if m == label)


@pytest.fixture(scope="module")
def ex07_reference(generated):
    return _solution_namespace(generated, "ex07_distillation")


def test_a_boundary_mistake_scores_zero_on_every_seed(generated, ex07_reference):
    """int() where round() is meant (ex07 q3) differs from round() only when the fraction of
    sparsity * n is >= 1/2: the hidden inputs put it there on every draw, so the verdict cannot
    flip with the batch seed (it passed about half of all seeds before)."""
    ns = dict(ex07_reference)
    exec(_mistake("ex07_distillation", "q3", "int() truncates the count"), ns)
    scores = [_hidden_score(generated, "ex07_distillation", "q3", ns, ex07_reference, seed)[0] for seed in range(40)]
    assert scores == [0.0] * 40, scores


NO_TEACHER = """
def distil_student(x_labelled, y_labelled, x_transfer, teacher_logits):
    dlbook.set_seed(0)
    student = nn.Sequential(nn.Linear(64, 12), nn.ReLU(), nn.Linear(12, 10))
    optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(200):  # the same number of steps as the reference, on the 100 labels alone
        for idx in torch.randperm(len(x_labelled), generator=g).split(25):
            loss = F.cross_entropy(student(x_labelled[idx]), y_labelled[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return student.eval()
"""
BUFFERS = """
class _Big(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("w", torch.zeros(1000, 64))  # parameters hidden as a buffer
        self.p = nn.Parameter(torch.zeros(1))
    def forward(self, x):
        return x @ self.w[:10].T + self.p
def distil_student(x_labelled, y_labelled, x_transfer, teacher_logits):
    return _Big()
"""
Q7_SEEDS = (7, 8, 9)


def _check_only_scores(generated: Path, name: str, q: str, namespaces: list[dict], seed: int) -> list[float]:
    """Scores of question ``q`` (whose probes are all checks: no reference answer) for each namespace,
    on one draw of the hidden inputs."""
    source = (generated / "exercises" / "autograders" / name / "tests" / f"{q}.py").read_text()
    questions, probes = grading.resolve({q: source}, name)
    hidden = grading.HiddenTests(questions, probes, seed)
    batch._draw_inputs(hidden)
    assert all(p.check is not None for p in hidden.probes.values())
    hidden.reference = {pid: None for pid in hidden.probes}
    return [batch._score(hidden, batch._verdicts(hidden, _answers(hidden, ns)))[q] for ns in namespaces]


def test_ex07_q7_needs_the_teacher(generated, ex07_reference):
    """A student of the same size trained on the 100 labels without the teacher fails the hidden
    test on every seed tried, where the distilled reference passes; and a model hiding parameters in
    a buffer fails too, because the grader counts and runs the returned tensors itself."""
    no_teacher, buffers = dict(ex07_reference), dict(ex07_reference)
    exec(NO_TEACHER, no_teacher)
    exec(BUFFERS, buffers)
    for seed in Q7_SEEDS:
        namespaces = [ex07_reference, no_teacher] + ([buffers] if seed == Q7_SEEDS[0] else [])
        scores = _check_only_scores(generated, "ex07_distillation", "q7", namespaces, seed)
        assert scores[0] == 3 and scores[1:] == [0] * (len(namespaces) - 1), (seed, scores)


UNUSED_ATTENTION = """
class _Shortcut(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(10, 1, batch_first=True)
    def forward(self, x):
        onehot = F.one_hot(x.flip(1), 10).float()
        return 10 * onehot + 0 * self.attn(onehot, onehot, onehot)[0]  # reverses without the attention
reverser = _Shortcut()
"""


def test_ex05_q4_rejects_attention_that_is_not_used(generated, tmp_path, monkeypatch):
    """A hand-made reversal with an attention module that does nothing fails the public test with
    its hint and scores zero in the hidden tests (it scored full marks before)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DLBOOK_GRADING", raising=False)
    reference = _solution_namespace(generated, "ex05_transformer")
    ns = dict(reference)
    exec(UNUSED_ATTENTION, ns)
    result = reference["grader"].check("q4", global_env=ns)
    assert not result.passed_all and "must go through the attention layer" in _first_error(result)
    assert _check_only_scores(generated, "ex05_transformer", "q4", [ns], 7) == [0]


# ex04 q6's shortcuts: each reaches 95% on the recall set without holding the symbol for 30 steps.
# The trained shortcuts name their class `_Model`; each is trained with this one recipe.
_TRAIN_RECALL = """
dlbook.set_seed(0)
model = _Model()
_x, _y = seqdata.first_symbol_recall(1500, 30, seed=0)
dlbook.fit(model, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=1e-2),
           torch.utils.data.DataLoader(torch.utils.data.TensorDataset(_x, _y), batch_size=50, shuffle=True),
           epochs=3, progress=False)
"""
RECALL_SHORTCUTS = {
    "reads x[:, 0]": ("""
class _FirstInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(8, 8, batch_first=True)  # there, and never used
    def forward(self, x):
        return 10.0 * F.one_hot(x[:, 0], 8)[:, :4].float()
model = _FirstInput()
""", "not from the first step"),
    "reads states[:, 0]": ("""
class _FirstState(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed, self.gru, self.out = nn.Embedding(8, 8), nn.GRU(8, 16, batch_first=True), nn.Linear(16, 4)
    def forward(self, x):
        return self.out(self.gru(self.embed(x))[0][:, 0])
_Model = _FirstState
""" + _TRAIN_RECALL, "not from the first step"),
    "a bidirectional layer": ("""
class _Both(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(8, 8)
        self.gru = nn.GRU(8, 16, batch_first=True, bidirectional=True)
        self.out = nn.Linear(32, 4)
    def forward(self, x):
        return self.out(self.gru(self.embed(x))[0][:, 0])  # the backward pass ends on the first symbol
_Model = _Both
""" + _TRAIN_RECALL, "use a one-directional recurrent layer"),
}


def _shortcuts_fail(generated, name: str, q: str, train: str, shortcuts: dict, seeds: tuple, fair=None) -> None:
    """Each shortcut (``{label: (code, hint)}``, run after the reference's ``train`` line) fails the
    public test of ``q`` with its hint and scores zero in the hidden test on every seed, where the
    reference scores full marks; ``fair(ns)`` (optional) first checks that a shortcut is a fair test."""
    reference = _solution_namespace(generated, name)
    exec(train, reference)
    namespaces = [reference]
    for label, (code, hint) in shortcuts.items():
        ns = dict(reference)
        exec(code, ns)
        if fair is not None:
            fair(label, ns)
        result = reference["grader"].check(q, global_env=ns)
        assert not result.passed_all and hint in _first_error(result), (label, _first_error(result))
        namespaces.append(ns)
    for seed in seeds:
        scores = _check_only_scores(generated, name, q, namespaces, seed)
        assert scores[0] == 3 and scores[1:] == [0] * len(shortcuts), (seed, scores)


def test_ex04_q6_rejects_recall_without_memory(generated, tmp_path, monkeypatch):
    """Three shortcuts that reach 95% without a 30-step memory (reading x[:, 0], the states at step 0,
    or a bidirectional layer's step 0) fail the public test with their hint and score zero in the
    hidden test, where the reference passes on every seed tried."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DLBOOK_GRADING", raising=False)

    def reaches_the_bar(label, ns):
        x, y = ns["seqdata"].first_symbol_recall(1000, 30, seed=1)
        acc = ns["dlbook"].accuracy(ns["dlbook"].predict(ns["model"], x), y).item()
        assert acc >= 0.95, f"the shortcut '{label}' is not a fair test: accuracy {acc:.3f}"

    _shortcuts_fail(generated, "ex04_rnn", "q6", "model = train_recall()", RECALL_SHORTCUTS, (7, 8), reaches_the_bar)


# ex06 q6's copies of the chapter: the unconditional ring GAN of 06_gan/02 (labels ignored), and a
# generator that puts every sample on the centre asked for (z ignored).
RING_SHORTCUTS = {
    "the chapter's unconditional GAN": ("""
from dlbook import gan as _gan
dlbook.set_seed(0)
_pool, _ = dlbook.data.make_ring(20_000, std=0.05, seed=1)
_G = _gan.mlp_generator(latent_dim=2, hidden=64)
_gan.train_gan(_G, _gan.mlp_discriminator(hidden=64), lambda n: _pool[torch.randint(len(_pool), (n,))],
               lambda n: torch.randn(n, 2), 1500, batch_size=128, lr_g=1e-3, lr_d=1e-3)
generator = lambda z, labels: _G(z)
""", "does G use its labels"),
    "the centres, without z": ("""
from dlbook import gan as _gan
generator = lambda z, labels: _gan.ring_centers()[labels] + 0.0 * z
""", "does G use z?"),
}


def test_ex06_q6_needs_a_conditional_generator(generated, tmp_path, monkeypatch):
    """Chapter 6's unconditional ring GAN (what the old question's reference copied) and a generator
    that ignores its noise fail the public test with their hint and score zero in the hidden test,
    where the conditional reference passes on every seed tried."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DLBOOK_GRADING", raising=False)
    _shortcuts_fail(generated, "ex06_gan", "q6", "generator = train_ring_cgan()", RING_SHORTCUTS, (7, 8, 9))


FULL_FINETUNE = """
def lora_finetune(base, X, y):
    model = copy.deepcopy(base)  # every weight trains: 301,066 parameters, not <= 1%
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)
    for _ in range(10):
        for idx in torch.randperm(len(X), generator=g).split(64):
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()
"""
OVER_BUDGET = """
def lora_finetune(base, X, y):
    model = copy.deepcopy(base).requires_grad_(False)
    model[0] = LoRALinear(model[0], r=8, alpha=16.0)  # 8 * (64 + 512) = 4,608 > 3,010
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(20):
        for idx in torch.randperm(len(X), generator=g).split(64):
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()
"""
UNTRAINED = """
def lora_finetune(base, X, y):
    model = copy.deepcopy(base).requires_grad_(False)
    model[0] = LoRALinear(model[0], r=4, alpha=8.0)  # within the budget, but B = 0: the base's ~40%
    return model.eval()
"""


def test_ex10_q7_needs_lora_within_the_budget(generated):
    """The grader pretrains its own base and rebuilds the adapted weights from the returned tensors: full
    fine-tuning (the base changed), LoRA over the 1% budget and an untrained adapter all score zero, where
    the reference (rank 4 on the first layer, 2,304 numbers) passes on every seed tried."""
    reference = _solution_namespace(generated, "ex10_llm")
    namespaces = [reference]
    for code in (FULL_FINETUNE, OVER_BUDGET, UNTRAINED):
        ns = dict(reference)
        exec(code, ns)
        namespaces.append(ns)
    for seed in Q7_SEEDS:
        scores = _check_only_scores(generated, "ex10_llm", "q7", namespaces, seed)
        assert scores[0] == 3 and scores[1:] == [0] * (len(namespaces) - 1), (seed, scores)


CLEAN_TRAINING = """
def train_robust(X, y):
    dlbook.set_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(30):  # the reference's schedule, on clean batches
        for idx in torch.randperm(len(X), generator=g).split(64):
            loss = F.cross_entropy(model(X[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()
"""
MASKED = CLEAN_TRAINING.replace("    return model.eval()", """    with torch.no_grad():
        model[2].weight.mul_(1000.0)  # huge logits: the softmax saturates and the cross-entropy's gradient vanishes
        model[2].bias.mul_(1000.0)
    return model.eval()""")


def test_ex11_q6_needs_adversarial_training(generated):
    """The grader attacks the returned network itself: clean training (about 35% under PGD) and the same
    network with its logits scaled by 1000 (gradient masking, which the margin-loss PGD sees through) score
    zero, where the FGSM-trained reference (about 80%) passes on every seed tried."""
    reference = _solution_namespace(generated, "ex11_adversarial")
    namespaces = [reference]
    for code in (CLEAN_TRAINING, MASKED):
        ns = dict(reference)
        exec(code, ns)
        namespaces.append(ns)
    for seed in Q7_SEEDS:
        scores = _check_only_scores(generated, "ex11_adversarial", "q6", namespaces, seed)
        assert scores[0] == 3 and scores[1:] == [0] * (len(namespaces) - 1), (seed, scores)


def test_ex11_master_agrees_with_dlbook(generated):
    """The master's solutions, which the hidden tests take as reference answers, agree with the course's own
    dlbook.adversarial (fgsm, pgd) and dlbook.reading (normalize_answer, f1_score, decode_spans) on fresh inputs."""
    import numpy as np
    import torch

    from dlbook import adversarial, reading

    ns = _solution_namespace(generated, "ex11_adversarial")
    g = torch.Generator().manual_seed(0)
    for _ in range(5):
        model = torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4)).double()
        x = torch.rand(6, 12, generator=g, dtype=torch.float64)
        y = torch.randint(0, 4, (6,), generator=g)
        for targeted in (False, True):
            assert torch.equal(ns["fgsm"](model, x, y, 0.1, targeted=targeted),
                               adversarial.fgsm(model, x, y, 0.1, targeted=targeted))
        x_adv = x
        for _ in range(4):
            x_adv = ns["pgd_step"](model, x_adv, x, y, 0.1, 0.03)
        assert torch.equal(x_adv, adversarial.pgd(model, x, y, 0.1, 0.03, 4, random_start=False))
        s, e = torch.randn(5, 15, generator=g), torch.randn(5, 15, generator=g)
        for length in (1, 3, 20):
            assert all(torch.equal(a, b) for a, b in zip(ns["decode_spans"](s, e, length), reading.decode_spans(s, e, length)))
    rng = np.random.default_rng(0)
    words = ["The", "a", "An", "cat's", "theory", "anthem", "U.S.", "don't", "Paris!", "red", "red", "(1998)"]
    for _ in range(50):
        pred = " ".join(rng.choice(words, size=int(rng.integers(1, 6))))
        truths = [" ".join(rng.choice(words, size=int(rng.integers(1, 6)))) for _ in range(int(rng.integers(1, 4)))]
        assert ns["normalize_answer"](pred) == reading.normalize_answer(pred)
        assert ns["f1_score"](pred, truths) == pytest.approx(reading.f1_score(pred, truths), abs=1e-12)


SEVEN_MODES = """
_train_reference = train_denoiser
def train_denoiser(X, betas):
    centres = 2 * math.pi * torch.arange(8) / 8
    nearest = torch.cdist(X, torch.stack([centres.cos(), centres.sin()], 1)).argmin(1)
    return _train_reference(X[nearest != 0], betas)  # one mode left out of the training data
"""
PREDICTS_X0 = """
def train_denoiser(X, betas):
    dlbook.set_seed(0)
    model = dm.MLPDenoiser(dim=2, hidden=64, depth=2, emb_dim=16, fourier=4)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 1e-2, total_steps=800, pct_start=0.1)
    for _ in range(800):
        x0 = X[torch.randint(len(X), (256,))]
        t = torch.randint(len(betas), (256,))
        loss = F.mse_loss(model(q_sample(x0, t, torch.randn_like(x0), betas), t), x0)  # x0, not the noise
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()
"""
UNTRAINED_DENOISER = """
def train_denoiser(X, betas):
    dlbook.set_seed(0)
    return dm.MLPDenoiser(dim=2, hidden=64, depth=2, emb_dim=16, fourier=4).eval()
"""


def test_ex09_q6_judges_the_graders_own_samples(generated):
    """The grader runs the DDPM chain on the returned denoiser from its own noise and judges the samples
    against fresh data it never sends, beside the denoiser's error on noise it keeps: an untrained network,
    one trained on seven of the eight modes and one trained to predict x0 all score zero, where the reference
    (800 Adam steps) passes on every seed tried."""
    reference = _solution_namespace(generated, "ex09_diffusion")
    namespaces = []
    for code in ("", SEVEN_MODES, PREDICTS_X0, UNTRAINED_DENOISER):
        ns = dict(reference)
        exec(code, ns)
        ns["denoiser"] = ns["train_denoiser"](ns["X_ring"], ns["betas"])
        namespaces.append(ns)
    for seed in Q7_SEEDS:
        scores = _check_only_scores(generated, "ex09_diffusion", "q6", namespaces, seed)
        assert scores[0] == 3 and scores[1:] == [0] * (len(namespaces) - 1), (seed, scores)
