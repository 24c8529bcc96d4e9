"""Helpers of the site tests: list the pages of the built site and parse their links."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import toc as _toc  # noqa: E402  (tools/toc.py: the one TOC walker)

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(message: str) -> None:
    """Skip with a clear message; under CI=true, fail: CI must run every check."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: this check must run)")
    pytest.skip(message)


# Folders of the built site that hold assets rather than pages.
ASSET_DIRS = {"_static", "_sources", "_images", "_downloads", ".doctrees", "jupyter_execute"}


@dataclass
class Link:
    tag: str
    attr: str
    value: str
    classes: tuple[str, ...] = ()


@dataclass
class ParsedPage:
    ids: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)


class _Parser(HTMLParser):
    LINK_ATTRS = {"href", "src", "poster", "data"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.page.ids.add(attrs[key])
        classes = tuple((attrs.get("class") or "").split())
        for key, value in attrs.items():
            if key in self.LINK_ATTRS and value is not None:
                self.page.links.append(Link(tag, key, value, classes))
            elif key == "srcset" and value:
                for part in value.split(","):
                    if part.strip():
                        self.page.links.append(Link(tag, key, part.split()[0], classes))

    handle_startendtag = handle_starttag


_CACHE: dict[Path, ParsedPage] = {}


def parse(path: Path) -> ParsedPage:
    if path not in _CACHE:
        parser = _Parser()
        parser.feed(path.read_text(encoding="utf-8"))
        _CACHE[path] = parser.page
    return _CACHE[path]


def html_pages(site: Path) -> list[Path]:
    """Every HTML page of the site (not the assets)."""
    return sorted(
        p for p in site.rglob("*.html")
        if not (set(p.relative_to(site).parts[:-1]) & ASSET_DIRS)
        and not any(part.startswith(".") for part in p.relative_to(site).parts)
    )


def toc_files(toc_path: Path) -> list[str]:
    """Every `file:` of the table of contents, root first, in reading order."""
    return _toc.toc_files(toc_path)


def notebook_pages(root: Path, toc_path: Path) -> list[str]:
    """TOC entries whose source is a notebook, as paths without suffix."""
    return [f for f in toc_files(toc_path) if (root / (f + ".ipynb")).is_file()]
