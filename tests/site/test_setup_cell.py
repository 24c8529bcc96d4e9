"""The website shows the lesson, not the plumbing: the Colab set-up cell that opens every notebook
(tools/notebook_setup.py, tagged ``remove-input``) is not shown on its page, while every other
code cell is, and the notebook itself (the download, the Colab copy) keeps the cell. The same
holds for the student notebooks of the exercises (tools/make_exercises.py tags their cell)."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

import notebook_setup
from sitelib import ROOT, notebook_pages

CELL = re.compile(r'<div class="cell(?P<tags>(?: tag_[\w-]+)*) docutils container"')


def setup_cell_problems(html: str, code_cells: int) -> list[str]:
    """What is wrong with a notebook page whose notebook has ``code_cells`` code cells."""
    problems = []
    if "google.colab" in html:
        problems.append("the set-up cell's source is on the page")
    cells = [m.group("tags").split() for m in CELL.finditer(html)]
    hidden = [tags for tags in cells if f"tag_{notebook_setup.SETUP_TAG}" in tags]
    if len(hidden) != 1:
        problems.append(f"{len(hidden)} cells tagged {notebook_setup.SETUP_TAG}, expected 1 (the set-up cell)")
    inputs = html.count('<div class="cell_input docutils container"')
    if inputs != code_cells - 1:
        problems.append(f"{inputs} code cells shown, expected {code_cells - 1} (all but the set-up cell)")
    return problems


def test_setup_cell_is_hidden_on_every_notebook_page(site_dir: Path, toc_path: Path):
    problems = []
    for doc in notebook_pages(ROOT, toc_path):
        nb = nbformat.read(ROOT / (doc + ".ipynb"), as_version=4)
        extras = "[grade]" if doc.startswith("exercises/") else ""  # student notebooks install the grader
        if not notebook_setup.is_setup_cell(notebook_setup.first_code_cell(nb), extras):
            problems.append(f"{doc}: the first code cell is not the tagged set-up cell")
        code = sum(c.cell_type == "code" for c in nb.cells)
        html = (site_dir / (doc + ".html")).read_text(encoding="utf-8")
        problems += [f"{doc}: {p}" for p in setup_cell_problems(html, code)]
    assert not problems, "\n".join(problems)


def test_the_check_fails_on_a_page_that_shows_the_setup_cell():
    shown = ('<div class="cell docutils container"><div class="cell_input docutils container">'
             'if "google.colab" in sys.modules:</div></div>'
             '<div class="cell docutils container"><div class="cell_input docutils container">x</div></div>')
    problems = setup_cell_problems(shown, 2)
    assert any("source is on the page" in p for p in problems)
    assert any("0 cells tagged" in p for p in problems)
    assert any("2 code cells shown, expected 1" in p for p in problems)
