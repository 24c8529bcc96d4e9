"""The Colab-ready notebooks in the built site (_build/html/colab/, written by `make book`):
current, free of MyST, and readable by a renderer without MyST.

Each copy is rendered by nbconvert's HTML exporter (plain CommonMark, the way Colab and GitHub
see a notebook): its visible text has no MyST left, the "Fact check" boxes are blockquotes with a
bold title, and every link into the website or the repository points at a page (and an id on
it) or a file that exists. A screenshot of one rendered copy goes to _build/screenshots/.
"""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

import colab_notebooks as cn
import myst_markdown as mm
from sitelib import ROOT, notebook_pages, parse

SCREENSHOT_DOC = "chapters/01_neurons/01_perceptron"


@pytest.fixture(scope="module")
def course() -> cn.Course:
    return cn.Course()


@pytest.fixture(scope="module")
def copies(site_dir: Path, toc_path: Path) -> dict[str, Path]:
    docs = notebook_pages(ROOT, toc_path)
    assert docs, "no notebook page in the table of contents"
    return {doc: site_dir / "colab" / (doc + ".ipynb") for doc in docs}


def test_every_notebook_page_has_a_current_colab_copy(copies: dict[str, Path], course: cn.Course):
    problems = []
    for doc, path in copies.items():
        if not path.is_file():
            problems.append(f"{doc}: no Colab copy {path} (make book writes them)")
            continue
        copy = nbformat.read(path, as_version=4)
        if copy != course.convert(doc):
            problems.append(f"{doc}: the Colab copy is stale: run make book (or make colab)")
        problems += [f"{doc}: {p}" for p in cn.leftovers(copy)]
    assert not problems, "\n".join(problems)


class _Rendered(HTMLParser):
    """Visible text outside code, the links and the ids of an nbconvert page."""

    SKIP = {"pre", "code", "script", "style", "textarea"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[tuple[str, tuple[str, ...]]] = []
        self.ids: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], tuple((a.get("class") or "").split())))
        if tag in self.SKIP:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data)


# A box: a blockquote whose first paragraph is a bold title.
QUOTE_TITLE = re.compile(r"<blockquote>\s*<p>\s*<strong>(.*?)</strong>\s*</p>", re.S)


_EXPORTER = None


def render(nb: nbformat.NotebookNode, mathjax_url: str = "") -> str:
    """nbconvert's HTML of ``nb`` (its standard template: CommonMark, no MyST)."""
    global _EXPORTER
    from nbconvert import HTMLExporter

    if mathjax_url:
        return HTMLExporter(mathjax_url=mathjax_url).from_notebook_node(nb)[0]
    if _EXPORTER is None:
        _EXPORTER = HTMLExporter()  # built once: loading the templates is most of the cost
    return _EXPORTER.from_notebook_node(nb)[0]


def markdown_only(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The Markdown cells: what the conversion changed (code cells are the source's, as the unit
    tests check), without the cost of highlighting code and outputs."""
    nb = nbformat.from_dict(nb)
    nb.cells = [cell for cell in nb.cells if cell.cell_type == "markdown"]
    return nb


def link_problem(href: str, page_ids: set[str], site_dir: Path, course: cn.Course) -> str | None:
    """Why ``href`` (from a rendered copy) is broken, or None."""
    site, repo = course.book.site_url, course.book.repository
    if href.startswith("#"):
        return None if unquote(href[1:]) in page_ids else f"no id {href} on the page"
    if href.startswith(site):
        parts = urlsplit(href)
        target = site_dir / unquote(parts.path[len(urlsplit(site).path):])
        if not target.is_file():
            return f"no page {target.relative_to(site_dir)} in the site"
        if parts.fragment and parts.fragment not in parse(target).ids:
            return f"no id #{parts.fragment} on {target.relative_to(site_dir)}"
        return None
    prefix = f"{repo}/raw/{course.book.branch}/"
    if href.startswith(prefix):
        return None if (ROOT / unquote(href[len(prefix):])).exists() else "no such file in the repository"
    if href.startswith(("https://", "http://", "mailto:")):
        return None  # another site: not checked offline
    return "relative link: Colab cannot follow it"


def test_copies_render_without_myst_and_without_broken_links(copies: dict[str, Path], site_dir: Path,
                                                             course: cn.Course):
    problems = []
    for doc, path in copies.items():
        if not path.is_file():
            continue  # reported by the test above
        copy = nbformat.read(path, as_version=4)
        html = render(markdown_only(copy))
        page = _Rendered()
        page.feed(html)
        text = "\n".join(page.text)
        problems += [f"{doc}: rendered text: {p}" for p in mm.find_myst(text)]
        # LaTeX is left for MathJax, so math may hold such strings legitimately (e.g. $\pi_\text{ref}$)
        prose = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", text, flags=re.S)
        for raw in ("{cite}", "{admonition}", ":class:", "{ref}", "{doc}", "{term}"):
            if raw in prose:
                problems.append(f"{doc}: {raw!r} visible in the rendered page")
        for href, classes in page.links:
            if "anchor-link" in classes:  # nbconvert's own heading anchors
                continue
            if why := link_problem(href, page.ids, site_dir, course):
                problems.append(f"{doc}: link {href}: {why}")
        source = nbformat.read(ROOT / (doc + ".ipynb"), as_version=4)
        facts = sum(len(re.findall(r"\{admonition\} Fact check", c.source))
                    for c in source.cells if c.cell_type == "markdown")
        boxes = [t for t in QUOTE_TITLE.findall(html) if t.endswith(" Fact check")]
        if len(boxes) != facts:
            problems.append(f"{doc}: {facts} Fact check boxes in the source, {len(boxes)} rendered as "
                            "blockquotes with a bold title")
    assert not problems, "\n".join(problems[:40])


def test_the_link_checker_can_fail(site_dir: Path, course: cn.Course):
    site = course.book.site_url
    assert link_problem(f"{site}no/such/page.html", set(), site_dir, course)
    assert link_problem(f"{site}bibliography.html#cite-no-such-key", set(), site_dir, course)
    assert link_problem(f"{site}bibliography.html#cite-vaswani2017attention", set(), site_dir, course) is None
    assert link_problem("../x.ipynb", set(), site_dir, course)
    assert link_problem("#missing", {"present"}, site_dir, course)


def test_screenshot_of_a_colab_copy(copies: dict[str, Path], site_dir: Path, tmp_path: Path):
    """One copy, outputs included, rendered by nbconvert and shown in Chromium (the page's math
    uses the site's own MathJax: nothing is fetched from the network)."""
    from test_browser import CHROMIUM_FLAGS, find_chromium  # noqa: F401  (the site test's browser)

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("no Chromium: the screenshot needs it (the checks above ran without it)")
    from playwright.sync_api import sync_playwright

    path = copies[SCREENSHOT_DOC]
    mathjax = (site_dir / "_static" / "mathjax" / "MathJax.js").as_uri() + "?config=TeX-AMS-MML_HTMLorMML-full"
    page_file = tmp_path / "copy.html"
    page_file.write_text(render(nbformat.read(path, as_version=4), mathjax_url=mathjax), encoding="utf-8")
    shots = Path(os.environ.get("DLBOOK_SCREENSHOTS", site_dir.parent / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / ("colab__" + SCREENSHOT_DOC.replace("/", "__") + ".png")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(page_file.as_uri(), wait_until="load")
            fact = page.locator("blockquote", has_text="Fact check").first
            fact.scroll_into_view_if_needed()
            assert fact.locator("strong").first.inner_text().endswith("Fact check")
            assert "{cite}" not in page.inner_text("body")
            page.screenshot(path=str(shot))  # the viewport, around the first Fact check
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
