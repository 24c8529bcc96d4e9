"""The Colab-ready copies: MyST written as plain Markdown (tools/myst_markdown.py, the converter,
and tools/colab_notebooks.py, which applies it to the course), and the set-up cell's settings.

The built copies and their rendering (nbconvert's HTML, links into the site) are checked in
tests/site/test_colab_copies.py.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "_ext"))
import colab_notebooks as cn  # noqa: E402
import myst_markdown as mm  # noqa: E402
import notebook_setup  # noqa: E402
from toc import toc_files  # noqa: E402

CTX = mm.Context(
    citations={
        "vaswani2017attention": mm.Citation("Vaswani et al.", "2017", "https://site/bib.html#cite-vaswani"),
        "minsky1969perceptrons": mm.Citation("Minsky and Papert", "1969", "https://site/bib.html#cite-minsky"),
    },
    link=lambda target: "https://site/" + target.replace(".ipynb", ".html"),
    labels={"sec-attn": ("https://site/a.html#sec-attn", "")},
    glossary_url="https://site/glossary.html",
)

# Every MyST construct the converter handles, as a course notebook would write it.
MYST_SAMPLE = """\
(sec-attn)=
## Attention

The Transformer {cite}`vaswani2017attention` keeps attention; see {cite:t}`minsky1969perceptrons`
and {cite:p}`vaswani2017attention,minsky1969perceptrons`, {ref}`the section <sec-attn>`,
{term}`softmax`, {math}`x^2`, H{sub}`2`O and {doc}`the next page <b.ipynb>`.
% a comment nobody should see

```{admonition} Fact check
:class: warning
Seed 001 says tanh is a probability. It is not: $\\tanh(-1) < 0$.
```

+++

:::{note}
A note in a colon fence.
:::

````{admonition} Outer
:class: tip dropdown
Outer text.
```{warning}
Inner warning.
```
````

$$
a = b \\quad % a LaTeX comment stays inside math
$$ (eq-one)

```{math}
:label: eq-two
c = d
```
"""


def test_the_sample_is_full_of_myst_and_the_detector_sees_it():
    kinds = {problem.split(":")[0] for problem in mm.find_myst(MYST_SAMPLE)}
    assert {"role", "directive", "colon fence", "directive option", "target", "comment",
            "block break", "equation label"} <= kinds, kinds


def test_conversion_leaves_no_myst():
    out = mm.convert(MYST_SAMPLE, CTX)
    assert mm.find_myst(out) == [], out


def test_citations_read_author_year_and_link_the_bibliography():
    out = mm.convert(MYST_SAMPLE, CTX)
    assert "The Transformer ([Vaswani et al., 2017](https://site/bib.html#cite-vaswani)) keeps" in out
    assert "see Minsky and Papert ([1969](https://site/bib.html#cite-minsky))" in out
    assert ("([Vaswani et al., 2017](https://site/bib.html#cite-vaswani); "
            "[Minsky and Papert, 1969](https://site/bib.html#cite-minsky))") in out


def test_roles_become_links_and_text():
    out = mm.convert(MYST_SAMPLE, CTX)
    assert "[the section](https://site/a.html#sec-attn)" in out
    assert "[softmax](https://site/glossary.html)" in out
    assert "$x^2$" in out and "H<sub>2</sub>O" in out
    assert "[the next page](https://site/b.html)" in out


def test_admonitions_become_blockquotes_with_a_symbol_and_a_bold_title():
    out = mm.convert(MYST_SAMPLE, CTX)
    assert "> **⚠️ Fact check**\n>\n> Seed 001 says tanh is a probability. It is not: $\\tanh(-1) < 0$." in out
    assert "> **ℹ️ Note**\n>\n> A note in a colon fence." in out
    # Nested: the inner warning is a blockquote inside the outer one.
    assert "> **💡 Outer**\n>\n> Outer text.\n>\n> > **⚠️ Warning**\n> >\n> > Inner warning." in out


def test_math_keeps_latex_and_drops_myst_labels():
    out = mm.convert(MYST_SAMPLE, CTX)
    assert "$$\na = b \\quad % a LaTeX comment stays inside math\n$$" in out
    assert "(eq-one)" not in out and "$$\nc = d\n$$" in out
    assert "a comment nobody should see" not in out and "+++" not in out


def test_ordinary_code_and_inline_code_are_untouched():
    text = "Write `{x}` or `a_{i}`.\n\n```python\nd = {'a': 1}  # {cite} is not a role here\n```"
    assert mm.convert(text, CTX) == text


def test_unknown_myst_is_an_error_not_a_leak():
    with pytest.raises(mm.MystError, match="glue"):
        mm.convert("{glue}`accuracy`", CTX)
    with pytest.raises(mm.MystError, match="tableofcontents"):
        mm.convert("```{tableofcontents}\n```", CTX)
    with pytest.raises(mm.MystError, match="nosuchkey"):
        mm.convert("{cite}`nosuchkey`", CTX)
    with pytest.raises(mm.MystError, match="nolabel"):
        mm.convert("{ref}`nolabel`", CTX)
    with pytest.raises(mm.MystError, match="substitution"):
        mm.convert("{{ version }}", CTX)


def test_relative_links_are_resolved_and_absolute_ones_kept():
    out = mm.convert("[ex](../../exercises/ex01.ipynb) and [web](https://example.org/a(b))", CTX)
    assert "[ex](https://site/../../exercises/ex01.html)" in out
    assert "[web](https://example.org/a(b))" in out


# --- the course ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course() -> cn.Course:
    return cn.Course()


def test_citation_labels_are_the_sites(course: cn.Course):
    import bib_author_year
    import pybtex.database

    data = pybtex.database.parse_file(str(ROOT / "references.bib"))
    for key, entry in data.entries.items():
        c = course.citations[key]
        assert f"{c.names}, {c.year}" == bib_author_year.author_year(entry)
        assert c.url == f"{course.book.site_url}bibliography.html#cite-{key.lower()}", c.url


def test_book_links_go_to_the_website_and_files_to_github(course: cn.Course):
    site, repo = course.book.site_url, course.book.repository
    doc = "chapters/05_transformer/01_attention"
    assert course.link(doc, "02_transformer.ipynb#masks") == f"{site}chapters/05_transformer/02_transformer.html#masks"
    assert course.link(doc, "../../exercises/ex05_transformer.ipynb") == f"{site}exercises/ex05_transformer.html"
    assert course.link(doc, "#a-heading") == f"{site}{doc}.html#a-heading"
    assert course.link(doc, "/glossary") == f"{site}glossary.html"
    assert course.link(doc, "../../references.bib") == f"{repo}/raw/{course.book.branch}/references.bib"
    with pytest.raises(mm.MystError, match="no_such_page"):
        course.link(doc, "no_such_page.ipynb")


def test_site_url_follows_the_repository_or_html_baseurl(tmp_path: Path):
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    moved = tmp_path / "_config.yml"
    moved.write_text(config.replace("https://github.com/dlbook/dlbook", "https://github.com/Someone/fork"))
    assert cn.book_settings(moved).site_url == "https://someone.github.io/fork/"
    moved.write_text(config.replace("html:\n", "html:\n  baseurl: https://dl.example.org\n", 1))
    assert cn.book_settings(moved).site_url == "https://dl.example.org/"


PAGES = [doc for doc in toc_files(ROOT / "_toc.yml") if (ROOT / (doc + ".ipynb")).is_file()]


@pytest.mark.parametrize("doc", PAGES)
def test_every_notebook_page_converts_without_myst_left(course: cn.Course, doc: str):
    source = nbformat.read(ROOT / (doc + ".ipynb"), as_version=4)
    copy = course.convert(doc)
    assert cn.leftovers(copy) == []
    # Only Markdown changes: code, outputs and metadata are the source's.
    assert len(copy.cells) == len(source.cells)
    for a, b in zip(source.cells, copy.cells):
        assert a.cell_type == b.cell_type and a.metadata == b.metadata
        if a.cell_type == "code":
            assert a == b
    # Every citation and every Fact check of the source is still there, in plain Markdown.
    src_md = "\n".join(c.source for c in source.cells if c.cell_type == "markdown")
    out_md = "\n".join(c.source for c in copy.cells if c.cell_type == "markdown")
    cites = sum(len(m.split(",")) for m in re.findall(r"\{cite(?::\w+)?\}`([^`]*)`", src_md))
    assert out_md.count("bibliography.html#cite-") == cites
    boxes = re.findall(r"^> \*\*(\S+) Fact check\*\*$", out_md, re.M)
    assert len(boxes) == len(re.findall(r"\{admonition\} Fact check", src_md))
    assert set(boxes) <= {mm.SYMBOLS["warning"], mm.SYMBOLS["note"], mm.SYMBOLS["tip"]}, boxes


def test_the_course_uses_only_myst_the_converter_knows():
    # A survey, so a new role or directive in a notebook is noticed here first.
    roles, directives = set(), set()
    for doc in PAGES:
        for cell in nbformat.read(ROOT / (doc + ".ipynb"), as_version=4).cells:
            if cell.cell_type == "markdown":
                roles |= set(re.findall(r"\{([\w:.+-]+)\}`", cell.source))
                directives |= set(re.findall(r"^\s*(?:`{3,}|:{3,})\s*\{([\w:.+-]+)\}", cell.source, re.M))
    for role in roles:
        mm.convert(f"{{{role}}}`vaswani2017attention`" if role.startswith("cite") else f"{{{role}}}`sec-attn`", CTX)
    for name in directives:
        mm.convert(f"```{{{name}}} Title\nbody\n```", CTX)


# --- the set-up cell ---------------------------------------------------------------------------

def test_setup_cell_takes_the_repository_from_config(tmp_path: Path):
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    moved = tmp_path / "_config.yml"
    moved.write_text(config.replace("https://github.com/dlbook/dlbook", "https://github.com/someone/fork"))
    assert "dlbook @ git+https://github.com/someone/fork" in notebook_setup.setup_source(config_path=moved)
    assert "someone/fork" not in notebook_setup.setup_source()


@pytest.mark.parametrize("path", sorted(ROOT.glob("chapters/*/*.ipynb")), ids=lambda p: p.stem)
def test_setup_cell_is_tagged_to_hide_on_the_website(path: Path):
    cell = notebook_setup.first_code_cell(nbformat.read(path, as_version=4))
    assert notebook_setup.SETUP_TAG in cell.metadata.get("tags", []), (
        f"{path.name}: the set-up cell lacks the {notebook_setup.SETUP_TAG!r} tag (tools/notebook_setup.py --write)")
    assert notebook_setup.is_setup_cell(cell)


def test_sync_tags_the_setup_cell_and_touches_nothing_else(tmp_path: Path):
    src = ROOT / "chapters" / "01_neurons" / "01_perceptron.ipynb"
    nb = nbformat.read(src, as_version=4)
    cell = notebook_setup.first_code_cell(nb)
    cell.metadata.pop("tags", None)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    before = nbformat.read(path, as_version=4)
    assert notebook_setup.main([str(path)]) == 1  # the check fails without the tag
    assert notebook_setup.sync(path) is True
    after = nbformat.read(path, as_version=4)
    assert notebook_setup.main([str(path)]) == 0 and notebook_setup.sync(path) is False
    changed = [i for i, (a, b) in enumerate(zip(before.cells, after.cells)) if a != b]
    index = before.cells.index(notebook_setup.first_code_cell(before))
    assert changed == [index]
    assert after.cells[index].metadata["tags"] == [notebook_setup.SETUP_TAG]
    assert after.cells[index].outputs == before.cells[index].outputs
    assert after.cells[index].execution_count == before.cells[index].execution_count
