"""Generate the student notebooks, public tests and autograders from the exercise masters.

For every master ``exercises/masters/<ex>.ipynb`` (otter-grader's ``otter assign`` format) this
runs ``otter assign`` (offline: no Docker, no Gradescope, no PDF) into a temporary folder, then:

* ``exercises/<ex>.ipynb``: the student notebook, with the shared Colab set-up cell first
  (``tools/notebook_setup.py``, installing ``dlbook[grade]``), no outputs, stable cell ids;
* ``dlbook/exercise_tests/<ex>/q*.py``: the public tests, shipped inside the package so that
  ``grading.notebook(<ex>)`` finds them in Colab without a clone (checked to hold no hidden case);
* ``exercises/autograders/<ex>/``: the solutions notebook and the full tests (public + hidden),
  which ``make grade`` uses. This folder is git-ignored: hidden tests never reach learners.

Every hidden test must be a declaration (``probe(...)`` calls, see ``exercises/README.md``,
"Authoring hidden tests"); a master whose hidden test is still in the old form (assertions that
run in the submission's kernel) or whose public test is worth points stops the generation
with an error that names the exercise, the question and the test.

Usage::

    python tools/make_exercises.py               # regenerate everything in place
    python tools/make_exercises.py --out DIR     # write the same tree under DIR instead
    python tools/make_exercises.py --check       # fail if the committed files are out of date
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import io
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_setup import setup_source, tag_setup_cell  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MASTERS = ROOT / "exercises" / "masters"
# Notebook metadata that changes from run to run or machine to machine.
VOLATILE_NB_METADATA = ("widgets", "varInspector", "toc", "vscode", "colab", "execution")


def masters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "exercises" / "masters").glob("ex*.ipynb"))


def _run_otter_assign(master: Path, result: Path) -> None:
    from otter.assign import main as assign

    # otter prints progress and changes directory while it works; keep both to ourselves.
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        cwd = Path.cwd()
        try:
            assign(str(master), str(result), no_pdfs=True, no_run_tests=True)
        finally:
            import os

            os.chdir(cwd)


def _student_notebook(path: Path, name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = setup_source(extras="[grade]")
    tag_setup_cell(first)  # hidden on the website, kept in the notebook
    # The page title comes first, above the set-up cell, so the website shows a heading on top.
    title = next((i for i, c in enumerate(nb.cells)
                  if c.cell_type == "markdown" and c.source.lstrip().startswith("# ")), None)
    if title:
        nb.cells.insert(0, nb.cells.pop(title))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name}-{i:02d}"  # stable ids: regeneration gives the same file
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    for key in VOLATILE_NB_METADATA:
        nb.metadata.pop(key, None)
    return nb


def _assert_public(tests: Path, name: str) -> None:
    """A public test file must not contain a hidden case (they would reach learners)."""
    for f in sorted(tests.glob("*.py")):
        env: dict = {}
        exec(f.read_text(encoding="utf-8"), env)
        for suite in env["test"]["suites"]:
            for case in suite["cases"]:
                if case.get("hidden", False):
                    raise RuntimeError(f"{name}: public test {f.name} holds a hidden case")


def _assert_declarations(tests: Path, name: str) -> None:
    """Every hidden case parses as a declaration and every public case is worth 0 points.

    Raises:
        dlbook.grading.DeclarationError: naming the exercise, question and test case.
    """
    from dlbook.grading import load_tests, resolve

    resolve(load_tests(tests), name)


def generate(master: Path, out_root: Path) -> dict[str, Path]:
    """Generate one exercise from ``master`` under ``out_root``; return the paths written."""
    name = master.stem
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        dist = Path(tmp) / "dist"
        _run_otter_assign(master, dist)
        student, autograder = dist / "student", dist / "autograder"

        nb = _student_notebook(student / f"{name}.ipynb", name)
        nb_path = out_root / "exercises" / f"{name}.ipynb"
        nb_path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, nb_path)

        _assert_public(student / "tests", name)
        _assert_declarations(autograder / "tests", name)
        public = out_root / "dlbook" / "exercise_tests" / name
        shutil.rmtree(public, ignore_errors=True)
        public.mkdir(parents=True)
        for f in sorted((student / "tests").glob("*.py")):
            shutil.copy(f, public / f.name)

        ag = out_root / "exercises" / "autograders" / name
        shutil.rmtree(ag, ignore_errors=True)
        ag.mkdir(parents=True)
        shutil.copytree(autograder / "tests", ag / "tests")
        shutil.copy(autograder / f"{name}.ipynb", ag / f"{name}.ipynb")
    return {"student": nb_path, "public_tests": public, "autograder": ag}


def _same_notebook(a: Path, b: Path) -> bool:
    na, nb_ = nbformat.read(a, as_version=4), nbformat.read(b, as_version=4)
    for n in (na, nb_):
        for key in VOLATILE_NB_METADATA:
            n.metadata.pop(key, None)
        for c in n.cells:
            c.metadata.pop("execution", None)
            if c.cell_type == "code":
                c.outputs, c.execution_count = [], None
    return na == nb_


def check(root: Path = ROOT) -> list[str]:
    """Regenerate into a temporary folder and list what differs from the files in ``root``."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="exercises-check-") as tmp:
        out = Path(tmp)
        for master in masters(root):
            paths = generate(master, out)
            name = master.stem
            committed = root / "exercises" / f"{name}.ipynb"
            if not committed.exists() or not _same_notebook(paths["student"], committed):
                problems.append(f"exercises/{name}.ipynb differs from its master (run `make exercises`)")
            public = root / "dlbook" / "exercise_tests" / name
            fresh = sorted(p.name for p in paths["public_tests"].glob("*.py"))
            have = sorted(p.name for p in public.glob("*.py")) if public.is_dir() else []
            if fresh != have or any(
                not filecmp.cmp(paths["public_tests"] / f, public / f, shallow=False) for f in fresh
            ):
                problems.append(f"dlbook/exercise_tests/{name} differs from its master (run `make exercises`)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="write under this folder instead of the repository")
    parser.add_argument("--check", action="store_true", help="only check that the committed files are up to date")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for p in problems:
            print(p)
        return 1 if problems else 0
    out = args.out or ROOT
    found = masters()
    if not found:
        print(f"no masters in {MASTERS}")
        return 1
    for master in found:
        paths = generate(master, out)
        print(f"{master.stem}: {paths['student'].relative_to(out)}, "
              f"{len(list(paths['public_tests'].glob('*.py')))} public test files, "
              f"autograder in {paths['autograder'].relative_to(out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
