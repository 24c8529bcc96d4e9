"""Colab-ready copies of the course's notebooks: the MyST of their Markdown cells written as
plain Markdown (tools/myst_markdown.py), so that Colab, GitHub and nbconvert show what the
website shows.

- ``{cite}`key``` -> "(Vaswani et al., 2017)", linked to the entry on the site's bibliography
  page (the labels are _ext/bib_author_year.py's, the same as the site's; the entry ids come from
  ``bibtex_cite_id`` in _config.yml);
- admonitions ("Fact check", dropdowns, notes) -> a blockquote with a symbol and a bold title;
- links to other pages of the book -> the page on the website; to other files -> GitHub.

Every notebook page of the table of contents (chapters and exercises) is converted; code cells
and outputs are copied unchanged. Where the copies go and how Colab opens them:

    python tools/colab_notebooks.py                 # writes _build/html/colab/<page>.ipynb
    python tools/colab_notebooks.py --out DIR       # elsewhere
    python tools/colab_notebooks.py --check         # converts in memory; fails on MyST left over
    python tools/colab_notebooks.py --print-branch  # the branch the Colab buttons open

`make book` writes them into the built site (_build/html/colab/). The Pages workflow pushes that
folder to the branch ``launch_buttons.colab_branch`` of _config.yml, and the site's Colab
buttons (_ext/colab_launch.py) open ``colab.research.google.com/github/OWNER/REPO/blob/
<colab_branch>/<page>.ipynb``: Colab opens notebooks from GitHub, not from an arbitrary URL,
and a GitHub Pages site deployed as an artifact has no branch of its own.
"""

from __future__ import annotations

import argparse
import copy
import posixpath
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
import myst_markdown as mm  # noqa: E402
import toc as _toc  # noqa: E402

DEFAULT_OUT = ROOT / "_build" / "html" / "colab"
NOTEBOOK_SUFFIXES = (".ipynb", ".md")


@dataclass(frozen=True)
class Book:
    """The settings of _config.yml the copies depend on."""

    repository: str  # https://github.com/OWNER/REPO
    branch: str  # the source branch
    colab_branch: str  # the branch holding the copies, which the Colab buttons open
    site_url: str  # the published website, ending in "/"
    cite_id: str  # sphinxcontrib-bibtex's bibtex_cite_id template


def book_settings(config_path: Path = ROOT / "_config.yml") -> Book:
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    repo = config["repository"]["url"].rstrip("/")
    owner, name = urlsplit(repo).path.strip("/").split("/")[:2]
    html = config.get("html") or {}
    # GitHub Pages serves a project site at https://OWNER.github.io/REPO/; `html.baseurl`
    # (Sphinx's html_baseurl) overrides that for a custom domain.
    site = html.get("baseurl") or f"https://{owner.lower()}.github.io/{name}/"
    sphinx = (config.get("sphinx") or {}).get("config") or {}
    colab_branch = (config.get("launch_buttons") or {}).get("colab_branch")
    if not colab_branch:
        raise SystemExit(f"{config_path}: set launch_buttons.colab_branch, the branch the Colab buttons open")
    return Book(
        repository=repo,
        branch=config["repository"].get("branch", "main"),
        colab_branch=colab_branch,
        site_url=site.rstrip("/") + "/",
        cite_id=sphinx.get("bibtex_cite_id", ""),
    )


def html_id(text: str) -> str:
    """The HTML id docutils (and so Sphinx) makes of ``text``."""
    from docutils.nodes import make_id

    return make_id(text)


def citations(book: Book, bibfile: Path = ROOT / "references.bib") -> dict[str, mm.Citation]:
    """Every entry of ``bibfile`` as the site cites it, linked to its bibliography entry."""
    import pybtex.database

    sys.path.insert(0, str(ROOT / "_ext"))
    import bib_author_year  # the site's own labels

    if not book.cite_id:
        raise SystemExit("set sphinx.config.bibtex_cite_id in _config.yml: the Colab copies link to those ids")
    data = pybtex.database.parse_file(str(bibfile))
    return {
        key: mm.Citation(
            names=bib_author_year.author_names(entry),
            year=bib_author_year.entry_year(entry),
            url=f"{book.site_url}bibliography.html#{html_id(book.cite_id.format(key=key, bibliography_count=1))}",
        )
        for key, entry in data.entries.items()
    }


def _markdown_sources(doc: str) -> list[str]:
    """The Markdown of a page: a notebook's Markdown cells, or a Markdown file."""
    ipynb, md = ROOT / (doc + ".ipynb"), ROOT / (doc + ".md")
    if ipynb.is_file():
        nb = nbformat.read(ipynb, as_version=4)
        return [c.source for c in nb.cells if c.cell_type == "markdown"]
    return [md.read_text(encoding="utf-8")] if md.is_file() else []


class Course:
    """The book's pages, labels and bibliography, and the converter context for one page."""

    def __init__(self, book: Book | None = None, toc_path: Path = ROOT / "_toc.yml") -> None:
        self.book = book or book_settings()
        self.pages = _toc.toc_files(toc_path)
        self.citations = citations(self.book)
        self.labels: dict[str, tuple[str, str]] = {}
        for doc in self.pages:
            for text in _markdown_sources(doc):
                for label in mm.targets(text):
                    self.labels[label] = (f"{self.book.site_url}{doc}.html#{html_id(label)}", "")

    def notebooks(self) -> list[str]:
        """Pages of the table of contents that are notebooks, as paths without suffix."""
        return [doc for doc in self.pages if (ROOT / (doc + ".ipynb")).is_file()]

    def link(self, doc: str, target: str) -> str:
        """A link target as written in page ``doc`` -> an absolute URL."""
        path, _, anchor = target.partition("#")
        fragment = f"#{anchor}" if anchor else ""
        if not path:
            return f"{self.book.site_url}{doc}.html{fragment}"
        if path.startswith("/"):
            resolved = posixpath.normpath(path.lstrip("/"))
        else:
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(doc), path))
        stem, suffix = posixpath.splitext(resolved)
        if suffix in NOTEBOOK_SUFFIXES and stem in self.pages:
            return f"{self.book.site_url}{stem}.html{fragment}"
        if not suffix and resolved in self.pages:  # {doc} targets have no suffix
            return f"{self.book.site_url}{resolved}.html{fragment}"
        if resolved.startswith("../") or not (ROOT / resolved).exists():
            raise mm.MystError(f"{doc}: link target {target!r} is neither a page nor a file of the repository")
        # Any other file of the repository: GitHub serves it (/raw/ also works for images).
        return f"{self.book.repository}/raw/{self.book.branch}/{resolved}{fragment}"

    def context(self, doc: str) -> mm.Context:
        return mm.Context(
            citations=self.citations,
            link=lambda target: self.link(doc, target),
            labels=self.labels,
            glossary_url=f"{self.book.site_url}glossary.html" if "glossary" in self.pages else "",
        )

    def convert(self, doc: str) -> nbformat.NotebookNode:
        """The Colab-ready copy of notebook page ``doc`` (the source is not changed)."""
        nb = nbformat.read(ROOT / (doc + ".ipynb"), as_version=4)
        out = copy.deepcopy(nb)
        ctx = self.context(doc)
        for index, cell in enumerate(out.cells):
            if cell.cell_type != "markdown":
                continue
            try:
                cell.source = mm.convert(cell.source, ctx)
            except mm.MystError as exc:
                raise mm.MystError(f"{doc}.ipynb, cell {index}: {exc}") from None
        return out


def leftovers(nb: nbformat.NotebookNode) -> list[str]:
    """MyST syntax left in the Markdown cells of a notebook, as "cell N: kind: excerpt"."""
    return [
        f"cell {index}: {problem}"
        for index, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
        for problem in mm.find_myst(cell.source)
    ]


def write_all(out_dir: Path, course: Course | None = None) -> list[Path]:
    course = course or Course()
    written = []
    for doc in course.notebooks():
        nb = course.convert(doc)
        problems = leftovers(nb)
        if problems:
            raise SystemExit(f"{doc}: MyST left after conversion:\n  " + "\n  ".join(problems))
        path = out_dir / (doc + ".ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the copies")
    parser.add_argument("--check", action="store_true", help="convert in memory, write nothing")
    parser.add_argument("--print-branch", action="store_true", help="print the Colab branch and exit")
    args = parser.parse_args(argv)
    if args.print_branch:
        print(book_settings().colab_branch)
        return 0
    course = Course()
    if args.check:
        bad = {doc: leftovers(course.convert(doc)) for doc in course.notebooks()}
        bad = {doc: problems for doc, problems in bad.items() if problems}
        for doc, problems in bad.items():
            print(f"{doc}:\n  " + "\n  ".join(problems))
        return 1 if bad else 0
    written = write_all(args.out, course)
    print(f"wrote {len(written)} Colab-ready notebooks under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
