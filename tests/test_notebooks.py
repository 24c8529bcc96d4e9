"""Structure of the chapter notebooks: listed in the book, executed in order, set up alike.

The outputs themselves are compared cell by cell by `pytest --nbval` (see the Makefile).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from notebook_setup import setup_source  # noqa: E402
from chapter_code import chapter_modules, chapters, code_cell  # noqa: E402
from toc import toc_files  # noqa: E402

CHAPTER_NOTEBOOKS = sorted(ROOT.glob("chapters/*/*.ipynb"))
# Chapters whose exercise is still to be written (their notebooks say so).
CHAPTERS_WITHOUT_EXERCISE_YET: set[str] = set()


def _toc_files() -> list[str]:
    return toc_files(ROOT / "_toc.yml")


def _doc_name(path: Path) -> str:
    return path.relative_to(ROOT).with_suffix("").as_posix()


def test_there_are_chapter_notebooks():
    assert CHAPTER_NOTEBOOKS, "no notebooks under chapters/"


def test_every_chapter_notebook_is_in_the_toc_and_every_toc_entry_exists():
    listed = _toc_files()
    missing = [_doc_name(p) for p in CHAPTER_NOTEBOOKS if _doc_name(p) not in listed]
    assert not missing, f"notebooks not listed in _toc.yml: {missing}"
    for entry in listed:
        candidates = [ROOT / f"{entry}{ext}" for ext in (".ipynb", ".md", ".rst")]
        assert any(c.exists() for c in candidates), f"_toc.yml lists {entry!r} but no such file exists"


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: _doc_name(p))
def test_notebook_was_executed_in_order_in_a_fresh_kernel(path: Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"execution counts {counts} are not 1..{len(code)}: re-run with `make notebooks NB={path.relative_to(ROOT)}`"
    )
    errors = [o.get("ename") for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"stored error outputs: {errors}"
    assert path.stat().st_size < 3_000_000, "notebook over 3 MB: lower figure sizes"


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: _doc_name(p))
def test_notebook_starts_with_the_shared_setup(path: Path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("# "), "first cell: a title"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source == setup_source(), "first code cell must be the set-up cell (tools/notebook_setup.py --write)"
    assert not any("placeholder" in c.source for c in code), "a set-up placeholder cell was left behind"
    early = "\n".join(c.source for c in code[1:3])
    assert "dlbook.set_seed(" in early
    # a device is chosen and then used, or the notebook says why it stays on the CPU
    later = "\n".join(c.source for c in code[1:])
    if "# This notebook stays on the CPU on purpose" in early:
        uncommented = re.sub(r"#[^\n]*", "", later)
        assert not re.search(r"\bdevice\b", uncommented), (
            "a notebook that stays on the CPU must not use a device variable")
    else:
        assert "device = dlbook.device()" in early, "the set-up picks a device with dlbook.device() (or says why not)"
        assert len(re.findall(r"\bdevice\b", later)) > 2, "device is chosen but never used: move the models there"


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: _doc_name(p))
def test_notebook_ends_with_check_your_understanding(path: Path):
    nb = nbformat.read(path, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"^##+ Check your understanding", text, re.M), "missing 'Check your understanding' section"
    links = re.findall(r"\]\(([^)]*exercises/[^)]+\.ipynb)\)", text)
    if path.parent.name in CHAPTERS_WITHOUT_EXERCISE_YET:
        # the exercise is still to be written: say so instead of linking a missing notebook
        assert not links and "exercise is still to be written" in text, (
            f"{path.parent.name} has no exercise yet: say so (or drop it from CHAPTERS_WITHOUT_EXERCISE_YET "
            "once the exercise exists, and link it)"
        )
        return
    assert links, "'Check your understanding' must link the chapter's exercise"
    for link in links:
        assert (path.parent / link).resolve().exists(), f"exercise link {link} points nowhere"


@pytest.mark.parametrize("path", CHAPTER_NOTEBOOKS, ids=lambda p: _doc_name(p))
def test_plotting_cells_end_with_show(path: Path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        draws = any(o.get("data", {}).get("image/png") for o in cell.outputs if o.output_type == "display_data")
        if draws:
            assert "plt.show()" in cell.source or "display(" in cell.source, (
                f"cell drawing a figure should end with plt.show():\n{cell.source[:200]}"
            )


def test_setup_cell_names_the_configured_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert f"git+{config['repository']['url']}" in setup_source()


def test_package_metadata_names_the_same_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    homepage = re.search(r'^Homepage\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    assert homepage and homepage.group(1) == config["repository"]["url"]


@pytest.mark.parametrize("chapter", chapters(), ids=lambda p: p.name)
def test_the_readme_and_the_index_page_name_the_modules_the_notebooks_use(chapter):
    """The README's "code in dlbook" column and the chapter page's Code line follow the imports."""
    expected = code_cell(chapter_modules(chapter))
    number = int(chapter.name[:2])
    rows = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
            if line.startswith(f"| {number} | ")]
    assert len(rows) == 1, f"README.md: expected one chapter-table row for chapter {number}, found {len(rows)}"
    cell = rows[0].rstrip(" |").rsplit(" | ", 1)[-1]
    assert cell == expected, (f"README.md, chapter {number}: the code column says {cell}, but the notebooks use "
                              f"{expected}: run python tools/chapter_code.py and update the row")
    index = chapter / "index.md"
    if index.exists():
        line = f"**Code in `dlbook`:** {expected} "
        assert line in index.read_text(encoding="utf-8"), (
            f"{index.relative_to(ROOT)}: its Code line must read {line!r}... (python tools/chapter_code.py)")
