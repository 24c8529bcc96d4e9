"""Write the bilingual glossary page `glossary.md` from the data file `glossary.yml`.

Each entry of glossary.yml gives an English term, its Chinese term and a one-line definition.
The generator looks through the chapter notebooks in the order of `_toc.yml` for the first
markdown cell that introduces the term the way the course introduces terms, with the Chinese
beside it ("term（中文）" or "term (中文)"), and links the entry to the nearest section heading
above that place (a MyST heading anchor, checked by Sphinx with `-n` at build time).

    python tools/make_glossary.py            # write glossary.md; list terms no chapter introduces
    python tools/make_glossary.py --strict   # also exit 1 if some term is not introduced
    python tools/make_glossary.py --check    # exit 1 if glossary.md is not up to date

The module is also imported by tests/site/test_glossary.py.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.dollarmath import dollarmath_plugin
from myst_parser.mdit_to_docutils.base import compute_unique_slug

sys.path.insert(0, str(Path(__file__).resolve().parent))
from toc import toc_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "glossary.yml"
PAGE = ROOT / "glossary.md"
# Must not exceed `myst_heading_anchors` in _config.yml: deeper headings get no anchor.
ANCHOR_DEPTH = 3
# What may follow the Chinese term inside the brackets: "（反向传播，BP）", "（M-P 神经元: ...）".
ZH_SEPARATORS = "，,;；:：、 /"


@dataclass
class Entry:
    term: str
    zh: str
    definition: str
    aliases: list[str] = field(default_factory=list)
    zh_alt: list[str] = field(default_factory=list)


@dataclass
class Place:
    """Where a term is first introduced."""

    doc: str  # path of the notebook relative to the book root, with suffix
    title: str  # the notebook's title (its first heading)
    section: str  # text of the nearest heading above the term
    slug: str  # MyST heading anchor of that heading
    english: str  # the English words as written in the chapter
    chinese: str  # the text inside the brackets


def load_entries(path: Path = DATA) -> list[Entry]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of entries, got {type(raw).__name__}")
    entries, seen = [], set()
    for i, item in enumerate(raw):
        missing = {"term", "zh", "definition"} - set(item or {})
        if missing:
            raise ValueError(f"{path}: entry {i} ({item}) lacks {sorted(missing)}")
        unknown = set(item) - {"term", "zh", "definition", "aliases", "zh_alt"}
        if unknown:
            raise ValueError(f"{path}: entry {item['term']!r} has unknown keys {sorted(unknown)}")
        key = str(item["term"]).lower()
        if key in seen:
            raise ValueError(f"{path}: duplicate term {item['term']!r}")
        seen.add(key)
        entries.append(Entry(**{k: (str(v) if k in ("term", "zh", "definition") else [str(a) for a in v])
                                for k, v in item.items()}))
    return entries


def chapter_documents(toc_path: Path = ROOT / "_toc.yml") -> list[Path]:
    """Chapter notebooks (and MyST pages) under chapters/, in the order of the TOC."""
    files = toc_files(toc_path)
    docs = []
    for f in files:
        if not f.startswith("chapters/"):
            continue
        for suffix in (".ipynb", ".md"):
            path = ROOT / (f + suffix)
            if path.is_file():
                docs.append(path)
                break
    return docs


def markdown_cells(path: Path) -> list[str]:
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    return [path.read_text(encoding="utf-8")]


_MD = MarkdownIt("commonmark").use(dollarmath_plugin)


def headings(source: str) -> list[tuple[int, int, SyntaxTreeNode]]:
    """(line, level, heading node) of the top-level headings of one markdown cell."""
    tree = SyntaxTreeNode(_MD.parse(source))
    out = []
    for node in tree.children:
        if node.type == "heading" and node.map:
            out.append((node.map[0], int(node.tag[1:]), node))
    return out


def heading_text(node: SyntaxTreeNode) -> str:
    """Rendered text of a heading, without markup; math kept as written."""
    parts = []
    for child in node.children[0].children if node.children else []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "math_inline":
            parts.append(f"${child.content}$")
        elif child.children:
            parts.append("".join(c.content for c in child.children if c.type == "text"))
    return "".join(parts).strip()


def term_pattern(entry: Entry) -> re.Pattern[str]:
    names = sorted({entry.term, *entry.aliases}, key=len, reverse=True)
    words = "|".join(r"[\s\-]+".join(re.escape(w) for w in re.split(r"[\s\-]+", n)) for n in names)
    return re.compile(
        rf"(?<![\w\-])(?P<en>(?:{words})(?:s|es)?)(?![\w\-])[*_]*\s*[（(]\s*(?P<zh>[^()（）\n]+?)\s*[)）]",
        re.IGNORECASE,
    )


def zh_matches(entry: Entry, text: str) -> bool:
    for zh in (entry.zh, *entry.zh_alt):
        if text == zh or (text.startswith(zh) and text[len(zh)] in ZH_SEPARATORS):
            return True
    return False


def find_places(entries: list[Entry], docs: list[Path]) -> tuple[dict[str, Place], dict[str, list[str]]]:
    """First place each term is introduced; and near misses (term with other Chinese)."""
    places: dict[str, Place] = {}
    near: dict[str, list[str]] = {}
    patterns = {e.term: term_pattern(e) for e in entries}
    for doc in docs:
        rel = doc.relative_to(ROOT).as_posix()
        slugs: dict[str, object] = {}
        title, section, slug = doc.stem, doc.stem, ""
        for source in markdown_cells(doc):
            heads = []
            for line, level, node in headings(source):
                if level > ANCHOR_DEPTH:
                    continue
                node_slug = compute_unique_slug(node, slugs)
                slugs[node_slug] = True
                heads.append((line, heading_text(node), node_slug))
            if heads and not slug:
                title = heads[0][1]
            line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
            for entry in entries:
                if entry.term in places:
                    continue
                for match in patterns[entry.term].finditer(source):
                    if not zh_matches(entry, match["zh"]):
                        if re.search(r"[\u4e00-\u9fff]", match["zh"]):  # Chinese, but another term
                            near.setdefault(entry.term, []).append(f"{rel}: {match.group(0)!r}")
                        continue
                    line = max(i for i, start in enumerate(line_starts) if start <= match.start())
                    before = [h for h in heads if h[0] <= line]
                    sec, sl = (before[-1][1], before[-1][2]) if before else (section, slug)
                    if not sl:  # text before the first heading of the document
                        sec, sl = (heads[0][1], heads[0][2]) if heads else (title, "")
                    places[entry.term] = Place(rel, title, sec, sl, match["en"], match["zh"])
                    break
            if heads:
                section, slug = heads[-1][1], heads[-1][2]
    return places, near


def cell_escape(text: str) -> str:
    return text.replace("|", r"\|")


def link_text(text: str) -> str:
    return cell_escape(text).replace("[", r"\[").replace("]", r"\]")


def render(entries: list[Entry], places: dict[str, Place]) -> str:
    lines = [
        "<!-- Generated by tools/make_glossary.py from glossary.yml: edit those, not this file. -->",
        "",
        "# Glossary（术语表）",
        "",
        "The key terms of the course in English and Chinese, each with a one-line definition and",
        "a link to the section that introduces it. Terms are sorted",
        "alphabetically; the search box finds them in either language.",
        "",
        "## Terms from A to Z",
        "",
        # sphinx-book-theme widens a div.full-width into the right margin. (A {container} would
        # also get Bootstrap's class "container", whose max-width undoes that.)
        '<div class="full-width">',
        "",
        "| English | 中文 | Definition | Introduced in |",
        "|---|---|---|---|",
    ]
    for e in sorted(entries, key=lambda e: e.term.lower()):
        p = places.get(e.term)
        if p is None:
            where = "(not yet in a chapter)"
            english = f"**{cell_escape(e.term)}**"
        else:
            target = f"{p.doc}#{p.slug}" if p.slug else p.doc
            chapter = p.doc.split("/")[1][:2].lstrip("0") or "0"
            where = f'Ch. {chapter}: [{link_text(p.section)}]({target} "{link_text(p.title)}")'
            english = f"**{cell_escape(e.term)}**"
        if e.aliases:
            english += " (" + ", ".join(cell_escape(a) for a in e.aliases) + ")"
        lines.append(f"| {english} | {cell_escape(e.zh)} | {cell_escape(e.definition)} | {where} |")
    lines += [
        "",
        "</div>",
        "",
        "## How this glossary is made",
        "",
        "Each entry comes from one data file, `glossary.yml`, and `tools/make_glossary.py` writes",
        "this page from it. The link of an entry points at the section where the chapters, read in",
        "order, first write the term with its Chinese beside it, like",
        "backpropagation（反向传播）. The site tests check that every link lands on a section that",
        "contains the term and that every entry is introduced somewhere in the chapters.",
    ]
    return "\n".join(lines) + "\n"


def build(toc: Path = ROOT / "_toc.yml") -> tuple[str, list[Entry], dict[str, Place], dict[str, list[str]]]:
    entries = load_entries()
    places, near = find_places(entries, chapter_documents(toc))
    return render(entries, places), entries, places, near


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="fail if a term is in no chapter")
    parser.add_argument("--check", action="store_true", help="fail if glossary.md is stale")
    parser.add_argument("--toc", type=Path, default=ROOT / "_toc.yml", help="table of contents to read")
    args = parser.parse_args(argv)
    text, entries, places, near = build(args.toc)
    if args.check:
        if not PAGE.is_file() or PAGE.read_text(encoding="utf-8") != text:
            print("glossary.md is stale: run python tools/make_glossary.py")
            return 1
    elif not PAGE.is_file() or PAGE.read_text(encoding="utf-8") != text:
        PAGE.write_text(text, encoding="utf-8")
        print("wrote glossary.md")
    missing = [e.term for e in entries if e.term not in places]
    print(f"glossary: {len(places)}/{len(entries)} terms linked to the section introducing them")
    for term in missing:
        hint = f" (found with other Chinese: {'; '.join(near[term][:2])})" if term in near else ""
        print(f"  not introduced in any chapter as 'term（中文）': {term}{hint}")
    return 1 if (args.strict and missing) else 0


if __name__ == "__main__":
    sys.exit(main())
