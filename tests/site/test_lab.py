"""The learner's path through JupyterLab, in a real browser: `make lab` starts JupyterLab on
127.0.0.1 (a free port, a temporary copy of a chapter notebook, settings and runtime files in a
temporary folder, so two test workers never share anything), Chromium opens the notebook, and:

- the MyST of the notebook is rendered by jupyterlab-myst: a "Fact check" admonition is a box
  (an <aside> with a border), not a code fence; no `{cite}` or `{admonition}` text is visible;
- running the first cells works: the kernel numbers them and prints what the stored notebook
  printed for the first cell that prints;
- as root, `make lab` said that it added --allow-root (JupyterLab refuses root otherwise).

A screenshot of the notebook in JupyterLab goes to _build/screenshots/. Needs Chromium and
Playwright, like tests/site/test_browser.py (skips without them, fails under CI=true).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from sitelib import ROOT, skip_or_fail
from test_browser import CHROMIUM_FLAGS, find_chromium

NOTEBOOK = ROOT / "chapters" / "01_neurons" / "01_perceptron.ipynb"
START_TIMEOUT_S = 180
TIMEOUT_MS = 120_000


def first_printing_cell(nb: nbformat.NotebookNode) -> tuple[int, str]:
    """(number among code cells, 1-based; first line printed) of the first code cell that prints."""
    for number, cell in enumerate((c for c in nb.cells if c.cell_type == "code"), start=1):
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stdout" and out.text.strip():
                return number, out.text.strip().splitlines()[0]
    raise AssertionError(f"{NOTEBOOK.name}: no code cell prints")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if shutil.which("make") is None:
        skip_or_fail("`make` is not installed: the JupyterLab test starts `make lab`")
    work = tmp_path_factory.mktemp("lab")
    notebooks = work / "notebooks"
    notebooks.mkdir()
    # A copy without outputs: prompts and outputs seen later come from the kernel, and JupyterLab
    # can never write into the repository.
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, notebooks / NOTEBOOK.name)
    settings = work / "settings"
    for plugin, values in {
        # Render every cell (JupyterLab 4 renders only those in view by default), never autosave.
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
        # No "news" pop-up (it would ask the network, and cover the screenshot).
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }.items():
        package, name = plugin.rsplit("/", 1)
        (settings / package).mkdir(parents=True, exist_ok=True)
        (settings / package / f"{name}.jupyterlab-settings").write_text(json.dumps(values))
    token = secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(work / "runtime"),
        JUPYTER_CONFIG_DIR=str(work / "config"),
        IPYTHONDIR=str(work / "ipython"),
        DLBOOK_PROGRESS="0",
        DLBOOK_DEVICE="cpu",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    lab_args = " ".join([
        "--no-browser", "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0",  # a free port
        f"--ServerApp.root_dir={notebooks}", f"--IdentityProvider.token={token}",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={work / 'workspaces'}",
    ])
    log = work / "lab.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={lab_args}"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        info = None
        while info is None:
            found = sorted((work / "runtime").glob("jpserver-*.json"))
            if found:
                info = json.loads(found[0].read_text())
            elif proc.poll() is not None:
                pytest.fail(f"make lab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            elif time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start in {START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
            else:
                time.sleep(0.5)
        yield {"url": info["url"], "token": token, "log": log, "notebook": NOTEBOOK.name}
    finally:
        # Shut the server down (it stops its kernels), then make and its shell.
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{info['port']}/api/shutdown", method="POST",
                                             headers={"Authorization": f"token {token}"})
            urllib.request.urlopen(request, timeout=10).close()
            proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - fall back to signals below
            pass
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if path is None:
        skip_or_fail("no Chromium found: install Debian's `chromium` package (make site-test does "
                     "this as root where apt-get is available) or set CHROMIUM=/path/to/chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("the `playwright` Python package is not installed (pip install -e '.[dev]')")
    return path


# Rendered Markdown: jupyterlab-myst's widget (class "myst"), or JupyterLab's own renderer, which
# shows MyST as text (what happens when jupyterlab-myst is disabled as "not compatible").
MYST_RENDERED = ".jp-MarkdownCell .myst"
RENDERED = f"{MYST_RENDERED}, .jp-MarkdownCell .jp-RenderedMarkdown"

# The box around the first "Fact check": its tag, classes, border and size, and whether it sits
# inside a code block (a fence shown as text would).
FACT_CHECK_BOX = """
() => {
  const title = Array.from(document.querySelectorAll('.jp-MarkdownCell .myst *, .jp-MarkdownCell .jp-RenderedMarkdown *'))
    .find((n) => n.children.length === 0 && n.textContent.trim() === 'Fact check');
  if (!title) return null;
  const box = title.closest('aside') || title.closest('.admonition');
  if (!box) return {inCode: !!title.closest('pre, code'), tag: null};
  const style = getComputedStyle(box);
  const rect = box.getBoundingClientRect();
  return {tag: box.tagName.toLowerCase(), classes: box.className, inCode: !!title.closest('pre, code'),
          border: parseFloat(style.borderLeftWidth), height: rect.height, width: rect.width,
          text: box.innerText.slice(0, 200)};
}
"""

RENDERED_TEXT = """
() => Array.from(document.querySelectorAll('.jp-MarkdownCell .myst, .jp-MarkdownCell .jp-RenderedMarkdown'))
  .map((n) => n.innerText).join('\\n')
"""

PROMPTS = """
() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')).map((n) => n.innerText.trim())
"""


def test_a_chapter_notebook_in_jupyterlab(lab, chromium, screenshots_dir):
    from playwright.sync_api import sync_playwright

    nb = nbformat.read(NOTEBOOK, as_version=4)
    printing_cell, expected_line = first_printing_cell(nb)
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{cite}`" in source and "{admonition} Fact check" in source, "pick a notebook with both"

    shots = screenshots_dir
    shots.mkdir(parents=True, exist_ok=True)
    shot = shots / "lab__chapters__01_neurons__01_perceptron.png"
    with sync_playwright() as p:
        # Loopback only, as in the site test: JupyterLab must not need the network.
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{lab['url']}lab/tree/{lab['notebook']}?token={lab['token']}&reset")
            page.wait_for_selector(RENDERED)
            page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
            assert page.locator(MYST_RENDERED).count() > 0, (
                "JupyterLab rendered the Markdown itself: is jupyterlab-myst disabled? "
                "(`jupyter labextension list` says whether it is compatible)")

            # MyST rendered: the Fact check is a box, and no role or directive shows as text.
            page.wait_for_function(f"() => ({FACT_CHECK_BOX})() !== null")
            box = page.evaluate(FACT_CHECK_BOX)
            assert box["tag"] == "aside" and not box["inCode"], box
            assert box["border"] > 0 and box["height"] > 40 and box["width"] > 300, box
            text = page.evaluate(RENDERED_TEXT)
            for raw in ("{cite}", "{admonition}", ":class:", "```"):
                assert raw not in text, f"{raw!r} visible in JupyterLab"

            # Run the set-up cell and the cells after it, down to the first that prints.
            page.locator(".jp-CodeCell").first.locator(".jp-InputArea-prompt").click()
            code_seen = 0
            for _ in range(len(nb.cells)):
                active = page.locator(".jp-Notebook .jp-Cell.jp-mod-active")
                is_code = "jp-CodeCell" in (active.get_attribute("class") or "")
                page.keyboard.press("Shift+Enter")
                code_seen += is_code
                if code_seen == printing_cell:
                    break
            page.wait_for_function(
                f"() => {{ const p = ({PROMPTS})(); return p.length >= {printing_cell} "
                f"&& p[{printing_cell - 1}] === '[{printing_cell}]:'; }}")
            prompts = page.evaluate(PROMPTS)[:printing_cell]
            assert prompts == [f"[{i}]:" for i in range(1, printing_cell + 1)], prompts
            out = page.locator(".jp-CodeCell").nth(printing_cell - 1).locator(".jp-OutputArea-output")
            out.first.wait_for()
            assert out.first.inner_text().strip().splitlines()[0] == expected_line
            assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0

            page.locator("aside").first.scroll_into_view_if_needed()
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    log = lab["log"].read_text()
    if os.getuid() == 0:
        assert re.search(r"running as root .* --allow-root", log), log[-2000:]


@pytest.fixture
def screenshots_dir() -> Path:
    """Where screenshots go: as for the site's browser test, without needing a built site."""
    site = Path(os.environ.get("DLBOOK_SITE_DIR", ROOT / "_build" / "html"))
    return Path(os.environ.get("DLBOOK_SCREENSHOTS", site.parent / "screenshots"))
