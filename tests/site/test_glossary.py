"""The glossary: generated from glossary.yml, every entry introduced in a chapter, every link
landing on the section that introduces the term."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import make_glossary
from sitelib import ROOT


class _Sections(HTMLParser):
    """Text of each <section id=...> of a page (nested sections included in their parent)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, list[str]]] = []
        self.text: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.stack.append((dict(attrs).get("id", ""), []))

    def handle_endtag(self, tag):
        if tag == "section" and self.stack:
            sid, parts = self.stack.pop()
            self.text[sid] = "".join(parts)
            if self.stack:
                self.stack[-1][1].append(self.text[sid])

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][1].append(data)


@functools.lru_cache(maxsize=None)
def section_texts(page: Path) -> dict[str, str]:
    parser = _Sections()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.text


@pytest.fixture(scope="module")
def glossary(toc_path: Path):
    return make_glossary.build(toc_path)


def test_data_file_is_valid(tmp_path: Path) -> None:
    entries = make_glossary.load_entries()
    assert len(entries) >= 30
    for e in entries:
        assert re.search(r"[\u4e00-\u9fff]", e.zh), f"{e.term}: no Chinese in {e.zh!r}"
        assert e.definition.strip() and "\n" not in e.definition, e.term
    bad = tmp_path / "g.yml"
    bad.write_text("- {term: a, zh: 甲}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="lacks"):
        make_glossary.load_entries(bad)


def test_pattern_finds_terms_the_way_chapters_write_them() -> None:
    entry = make_glossary.Entry("loss function", "损失函数", "d", aliases=["loss"])
    pattern = make_glossary.term_pattern(entry)
    for text in ["A **loss function（损失函数）** is", "the loss functions (损失函数)", "loss\nfunction（损失函数，目标函数）"]:
        match = pattern.search(text)
        assert match and make_glossary.zh_matches(entry, match["zh"]), text
    for text in ["a lossy function（损失函数）", "loss function（代价函数）", "loss function is 损失函数"]:
        match = pattern.search(text)
        assert not (match and make_glossary.zh_matches(entry, match["zh"])), text


def test_glossary_page_is_up_to_date(glossary) -> None:
    text, *_ = glossary
    assert (ROOT / "glossary.md").read_text(encoding="utf-8") == text, (
        "glossary.md is stale: run python tools/make_glossary.py (make book does)"
    )


def test_every_entry_is_introduced_in_a_chapter(glossary) -> None:
    _, entries, places, near = glossary
    missing = [
        e.term + (f" (chapters write it as {near[e.term][0]})" if e.term in near else "")
        for e in entries if e.term not in places
    ]
    assert not missing, (
        f"{len(missing)} glossary terms appear in no chapter as 'term（中文）':\n" + "\n".join(missing)
    )


class _Rows(HTMLParser):
    """Rows of the glossary table: (text of the first cell, hrefs of the row's links)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[str, list[str]]] = []
        self.in_row = False
        self.cell = 0

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.in_row, self.cell = True, 0
            self.rows.append(("", []))
        elif tag == "td" and self.in_row:
            self.cell += 1
        elif tag == "a" and self.in_row and dict(attrs).get("href"):
            self.rows[-1][1].append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if tag == "tr":
            self.in_row = False

    def handle_data(self, data):
        if self.in_row and self.cell == 1:
            text, links = self.rows[-1]
            self.rows[-1] = (text + data, links)


def glossary_rows(page: Path) -> dict[str, list[str]]:
    parser = _Rows()
    parser.feed(page.read_text(encoding="utf-8"))
    return {" ".join(text.split()): links for text, links in parser.rows if text.strip()}


def test_every_glossary_link_lands_on_the_section_introducing_the_term(site_dir: Path, glossary) -> None:
    _, entries, places, _ = glossary
    rows = glossary_rows(site_dir / "glossary.html")
    assert len(rows) == len(entries), f"{len(rows)} rows in the glossary table, {len(entries)} entries"
    problems = []
    for e in entries:
        row = next((links for text, links in rows.items() if text.split(" (")[0] == e.term), None)
        if row is None:
            problems.append(f"{e.term}: no row in the glossary table")
            continue
        place = places.get(e.term)
        if place is None:
            continue  # reported by test_every_entry_is_introduced_in_a_chapter
        if len(row) != 1:
            problems.append(f"{e.term}: expected one link, found {row}")
            continue
        path, _, fragment = row[0].partition("#")
        target = site_dir / path
        if path != place.doc.rsplit(".", 1)[0] + ".html" or not target.is_file():
            problems.append(f"{e.term}: link {row[0]} is not the page of {place.doc}")
            continue
        sections = section_texts(target)
        if fragment not in sections:
            problems.append(f"{e.term}: {row[0]} names no section of {path}")
            continue
        text = " ".join(sections[fragment].split()).lower()
        english = " ".join(place.english.split()).lower()
        if english not in text or place.chinese.lower() not in text:
            problems.append(f"{e.term}: section {row[0]} does not contain "
                            f"{place.english!r} with {place.chinese!r}")
    assert not problems, "\n".join(problems)
