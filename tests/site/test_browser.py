"""The real-browser test: headless Chromium loads every page of the built site, served from
127.0.0.1 with every other host unreachable, and checks what a learner would see.

For each page: no console errors, no uncaught exceptions, no failed or blocked requests, every
image loaded, math typeset by the site's own MathJax (no raw `$$`, `\\(`, `\\[` left in the
text, no TeX error). The search page finds an English and a Chinese term. Screenshots of the
landing page and of two chapter pages go to _build/screenshots/ (see conftest.py).

Needs Debian's `chromium` (the Makefile's site-test target installs it where it can) and the
`playwright` Python package, which drives that system browser: `playwright install` (a
download) is never needed. Without them the test skips, except under CI=true where it fails.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import socketserver
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from sitelib import ROOT, html_pages, notebook_pages, skip_or_fail

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # Every host name but 127.0.0.1 resolves to nothing: the site must not need the network.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
SEARCH_QUERIES = {"perceptron": "English", "反向传播": "Chinese"}
PAGE_TIMEOUT_MS = 60_000
# Browsers that share the page sweep: on this 2-core machine three took 150 s where one took 220 s.
SWEEP_BROWSERS = 3


def find_chromium() -> str | None:
    for name in (os.environ.get("CHROMIUM", ""), "chromium", "chromium-browser"):
        if name and (path := shutil.which(name)):
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - keep pytest output clean
        pass


class _Server(socketserver.ThreadingTCPServer):
    # Chromium keeps idle connections open; do not wait for their threads when shutting down.
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


@pytest.fixture(scope="module")
def server(site_dir: Path):
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    with _Server(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()


def _require_browser() -> str:
    chromium = find_chromium()
    if chromium is None:
        skip_or_fail("no Chromium found: install Debian's `chromium` package (make site-test does "
                     "this as root where apt-get is available) or set CHROMIUM=/path/to/chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("the `playwright` Python package is not installed (pip install -e '.[dev]')")
    return chromium


@contextlib.contextmanager
def open_browser(chromium: str, profile: Path):
    """A fresh headless Chromium (its own --user-data-dir ``profile``) and its one context.

    Playwright's sync API belongs to the thread that started it, so each thread of the page
    sweep opens its own browser with this."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
            device_scale_factor=1,
            service_workers="block",
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    chromium = _require_browser()
    with open_browser(chromium, tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


class PageWatch:
    """Collects what went wrong while one page loaded."""

    def __init__(self, page, origin: str) -> None:
        self.problems: list[str] = []
        self.origin = origin
        page.on("console", self.on_console)
        page.on("pageerror", lambda exc: self.problems.append(f"uncaught exception: {exc}"))
        page.on("requestfailed", lambda r: self.problems.append(
            f"request failed: {r.url} ({r.failure})"))
        page.on("response", self.on_response)
        # A second fence besides the resolver rules: refuse and report any other origin.
        page.route("**/*", self.on_route)

    def on_console(self, msg) -> None:
        if msg.type == "error":
            self.problems.append(f"console error: {msg.text} at {msg.location.get('url', '')}")

    def on_response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def on_route(self, route) -> None:
        url = route.request.url
        if url.startswith(self.origin) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            self.problems.append(f"request to the network blocked: {url}")
            route.abort("blockedbyclient")


WAIT_FOR_MATH = """
() => new Promise((resolve) => {
  if (!document.querySelector('.math')) { resolve('no math'); return; }
  const start = Date.now();
  (function poll() {
    if (window.MathJax && MathJax.Hub && MathJax.isReady) {
      MathJax.Hub.Queue(() => resolve('typeset'));
    } else if (Date.now() - start > 45000) {
      resolve('MathJax did not start');
    } else { setTimeout(poll, 100); }
  })();
})
"""

# Text a reader sees, minus code: raw TeX delimiters there mean MathJax did not run on it.
VISIBLE_TEXT = """
() => {
  const main = document.querySelector('main') || document.body;
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, .highlight, .MathJax_Preview, '
                         + 'script[type^="math/tex"]').forEach((n) => n.remove());
  return clone.innerText;
}
"""

# A TeX syntax error (shown as the raw TeX by the noErrors extension) or an undefined macro
# (shown in red by noUndefined) is a typeset formula the reader cannot read.
TEX_ERRORS = """
() => {
  const bad = [];
  document.querySelectorAll('.MathJax[data-mathml]').forEach((n) => {
    const m = n.getAttribute('data-mathml');
    if (m.includes('<merror') || m.includes('mathcolor="red"')) bad.push(m.slice(0, 160));
  });
  return bad;
}
"""

IMAGES = """
() => Array.from(document.images).map((img) => ({
  src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0,
}))
"""


def check_page(context, url: str, origin: str, screenshot: Path | None = None) -> list[str]:
    page = context.new_page()
    watch = PageWatch(page, origin)
    try:
        page.goto(url, wait_until="load")
        status = page.evaluate(WAIT_FOR_MATH)
        if status == "MathJax did not start":
            watch.problems.append("MathJax did not load: math stays raw")
        page.wait_for_load_state("networkidle")
        text = page.evaluate(VISIBLE_TEXT)
        for raw in ("$$", "\\(", "\\)", "\\[", "\\]", "\\begin{"):
            if raw in text:
                at = text.index(raw)
                watch.problems.append(f"raw math {raw!r} left in the text: ...{text[max(0, at - 40):at + 40]!r}...")
        if status == "typeset":
            if page.locator(".math").count() and not page.locator(".MathJax, .MathJax_Display, .MathJax_SVG").count():
                watch.problems.append("math elements present but nothing typeset")
            errors = page.evaluate(TEX_ERRORS)
            if errors:
                watch.problems.append(f"{len(errors)} TeX errors in the typeset math: {errors[:3]}")
        for image in page.evaluate(IMAGES):
            if not image["ok"]:
                watch.problems.append(f"image not loaded: {image['src']}")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        page.close()
    return watch.problems


def test_the_watch_reports_blocked_requests_and_missing_images(browser_context, server, tmp_path):
    # The checks must be able to fail: a page that asks the network and shows a missing image.
    bad = urlsplit(server)
    problems = check_page(
        browser_context,
        f"data:text/html,<img src='{server}/no-such-image.png'><script src='https://cdn.example.org/x.js'></script>"
        "<main><p>$$x^2$$</p></main><script>console.error('boom')</script>",
        f"{bad.scheme}://{bad.netloc}",
    )
    joined = "\n".join(problems)
    assert "blocked" in joined and "cdn.example.org" in joined, joined
    assert "no-such-image.png" in joined, joined
    assert "raw math '$$'" in joined, joined
    assert "boom" in joined, joined


def test_every_page_in_a_real_browser(server, site_dir: Path, toc_path: Path, tmp_path):
    chromium = _require_browser()
    pages = html_pages(site_dir)
    assert len(pages) >= 4
    shots_dir = Path(os.environ.get("DLBOOK_SCREENSHOTS", site_dir.parent / "screenshots"))
    chapters = [p for p in notebook_pages(ROOT, toc_path) if p.startswith("chapters/")]
    # Two chapter pages from different chapters where possible.
    by_chapter = {}
    for doc in chapters:
        by_chapter.setdefault(doc.split("/")[1], doc)
    picks = list(by_chapter.values())[:2] or chapters[:2]
    shots = {"index.html": shots_dir / "landing.png"}
    for doc in picks:
        shots[doc + ".html"] = shots_dir / (doc.replace("/", "__") + ".png")

    def sweep(part: int) -> dict[str, list[str]]:
        # One browser leaves the cores idle between a page's steps (the driver's round trips,
        # MathJax's timers): SWEEP_BROWSERS browsers side by side, each with every n-th page.
        report = {}
        with open_browser(chromium, tmp_path / f"profile-{part}") as context:
            for path in pages[part::SWEEP_BROWSERS]:
                rel = path.relative_to(site_dir).as_posix()
                problems = check_page(context, f"{server}/{quote(rel)}", server, shots.get(rel))
                if problems:
                    report[rel] = problems
        return report

    report = {}
    with ThreadPoolExecutor(max_workers=SWEEP_BROWSERS) as pool:
        for part in pool.map(sweep, range(SWEEP_BROWSERS)):
            report.update(part)
    assert not report, "problems in the browser:\n" + "\n".join(
        f"{page}:\n  " + "\n  ".join(lines[:10]) for page, lines in report.items()
    )
    for shot in shots.values():
        assert shot.is_file() and shot.stat().st_size > 10_000, f"no screenshot {shot}"


@pytest.mark.parametrize("query", list(SEARCH_QUERIES))
def test_search_finds_terms(browser_context, server, query):
    page = browser_context.new_page()
    watch = PageWatch(page, server)
    try:
        page.goto(f"{server}/search.html?q={quote(query)}", wait_until="load")
        page.wait_for_function(
            "() => { const r = document.querySelector('#search-results');"
            " return r && (r.querySelector('li') || /did not match|no results/i.test(r.innerText)); }",
            timeout=PAGE_TIMEOUT_MS,
        )
        results = page.locator("#search-results li").count()
    finally:
        page.close()
    assert not watch.problems, "\n".join(watch.problems)
    assert results > 0, f"searching for the {SEARCH_QUERIES[query]} term {query!r} found nothing"


def test_tex_errors_are_detected(browser_context, server):
    # The TeX-error check must see both kinds of broken formula in the site's own MathJax.
    page = browser_context.new_page()
    try:
        page.goto(f"{server}/index.html", wait_until="load")
        page.wait_for_function("() => window.MathJax && MathJax.isReady", timeout=PAGE_TIMEOUT_MS)
        page.evaluate(
            """() => new Promise((resolve) => {
                 const p = document.createElement('p');
                 p.innerHTML = '<span class="math">\\\\(\\\\frac{1}{\\\\)</span> '
                             + '<span class="math">\\\\(\\\\nosuchmacro x\\\\)</span> '
                             + '<span class="math">\\\\(\\\\sum_i w_i x_i\\\\)</span>';
                 document.querySelector('main').appendChild(p);
                 MathJax.Hub.Queue(['Typeset', MathJax.Hub, p], () => resolve());
               })"""
        )
        errors = page.evaluate(TEX_ERRORS)
    finally:
        page.close()
    assert len(errors) == 2, errors
    assert "frac" in errors[0] and "nosuchmacro" in errors[1], errors
