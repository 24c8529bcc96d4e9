"""The landing page says what a learner needs, the course map matches the book, and the math
engine is the site's own copy of MathJax."""

from __future__ import annotations

import re
from pathlib import Path

import make_course_map
from sitelib import ROOT, html_pages, parse


def test_course_map_matches_the_table_of_contents(toc_path: Path) -> None:
    published = make_course_map.published_chapters(toc_path)
    assert 0 in published, published
    svg = (ROOT / "images" / "course_map.svg").read_text(encoding="utf-8")
    assert svg == make_course_map.render(make_course_map.published_chapters()), (
        "images/course_map.svg is stale: run python tools/make_course_map.py (make book does)"
    )
    # Every chapter is drawn once, and every dependency points from an earlier chapter.
    assert len(re.findall(r"<rect [^>]*rx=\"9\"", svg)) == len(make_course_map.CHAPTERS)
    for a, b in make_course_map.EDGES:
        assert a in make_course_map.CHAPTERS and b in make_course_map.CHAPTERS and a != b


def test_landing_page_covers_what_a_learner_needs(site_dir: Path) -> None:
    html = (site_dir / "index.html").read_text(encoding="utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    for heading in ["Who this course is for", "Prerequisites", "Course map", "How to use this book",
                    "Read it here", "Run it on your computer", "Run it in Google Colab",
                    "Do the exercises"]:
        assert re.search(rf"<h[1-3][^>]*>\s*{re.escape(heading)}", html), f"no heading {heading!r}"
    assert "make lab" in text and "git clone" in text
    images = [l.value for l in parse(site_dir / "index.html").links if l.tag == "img"]
    assert any(v.endswith("course_map.svg") for v in images), images


def test_math_is_served_by_the_site_itself(site_dir: Path, book_config: dict) -> None:
    mathjax = site_dir / "_static" / "mathjax" / "MathJax.js"
    assert mathjax.is_file(), "MathJax was not copied into the site"
    version = re.search(r'MathJax\.version="([\d.]+)"', mathjax.read_text(encoding="utf-8"))
    assert version and version.group(1).startswith("2."), "mathjax2_config needs MathJax 2.x"
    assert "mathjax2_config" in book_config["sphinx"]["config"]
    pages_with_math = 0
    for page in html_pages(site_dir):
        scripts = [l.value for l in parse(page).links if l.tag == "script" and "MathJax" in l.value]
        for src in scripts:
            assert "://" not in src and not src.startswith("//"), f"{page.name}: MathJax from {src}"
        html = page.read_text(encoding="utf-8")
        if 'class="math' in html:
            pages_with_math += 1
            assert scripts, f"{page.relative_to(site_dir)} has math but loads no MathJax"
    assert pages_with_math >= 1
