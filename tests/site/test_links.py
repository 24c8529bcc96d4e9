"""Zero broken internal links: every href/src of every page points at a file of the site, and
every #fragment at an element id of the target page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from sitelib import html_pages, parse

EXTERNAL_SCHEMES = {"http", "https", "mailto", "data", "javascript", "tel", "ftp"}


def resolve(site: Path, page: Path, value: str) -> tuple[Path | None, str]:
    """Target file and fragment of a link on `page`; (None, "") for an external link."""
    parts = urlsplit(value)
    if parts.scheme in EXTERNAL_SCHEMES or parts.netloc or value.startswith("//"):
        return None, ""
    if parts.scheme:
        raise AssertionError(f"unexpected URL scheme in {value!r}")
    path = unquote(parts.path)
    if not path:
        return page, unquote(parts.fragment)
    target = (site / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    target = target.resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def broken_links(site: Path) -> tuple[list[str], int]:
    problems, checked = [], 0
    for page in html_pages(site):
        for link in parse(page).links:
            if link.tag == "link" and "preload" in link.classes:
                continue
            target, fragment = resolve(site, page, link.value)
            if target is None:
                continue
            checked += 1
            where = f"{page.relative_to(site)}: <{link.tag} {link.attr}={link.value!r}>"
            if site.resolve() not in target.parents and target != site.resolve():
                problems.append(f"{where} leaves the site")
            elif not target.is_file():
                problems.append(f"{where} -> missing file {target}")
            elif fragment and target.suffix == ".html" and fragment not in parse(target).ids:
                problems.append(f"{where} -> no id {fragment!r} in {target.relative_to(site)}")
    return problems, checked


def test_resolve_flags_what_is_broken(tmp_path: Path) -> None:
    # The checker itself must catch a missing file and a missing anchor.
    (tmp_path / "index.html").write_text(
        '<a href="a.html#here">ok</a><a href="a.html#gone">bad anchor</a>'
        '<img src="img/missing.png"><a href="https://example.org/x">external</a>'
        '<a href="#top">self</a><span id="top"></span>',
        encoding="utf-8",
    )
    (tmp_path / "a.html").write_text('<h1 id="here">A</h1>', encoding="utf-8")
    problems, checked = broken_links(tmp_path)
    assert checked == 4
    assert len(problems) == 2, problems
    assert "gone" in problems[0] and "missing.png" in problems[1]


def test_no_broken_internal_links(site_dir: Path) -> None:
    pages = html_pages(site_dir)
    assert len(pages) >= 4, f"only {len(pages)} pages in {site_dir}"
    problems, checked = broken_links(site_dir)
    assert checked > 20 * len(pages), f"only {checked} internal links checked in {len(pages)} pages"
    assert not problems, f"{len(problems)} broken internal links:\n" + "\n".join(problems[:50])
