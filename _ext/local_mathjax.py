"""Serve MathJax from the built site itself, so that math renders with no network.

The MathJax 2.7 distribution shipped by the ``jupyter-server-mathjax`` package (a dependency of
the ``book`` extra) is copied to ``_build/html/_static/mathjax/``; ``mathjax_path`` in
``_config.yml`` points there. The package ships only the STIX-Web fonts, so ``mathjax2_config``
in ``_config.yml`` selects them (asking for the default TeX web fonts would request files that
do not exist).

myst-parser writes its MathJax settings into ``mathjax3_config`` on Sphinx >= 4; with MathJax 2
that block would only add a stray ``window.MathJax = {...}`` and switch loading to ``defer``, so
this extension clears it after myst-parser has run and relies on ``mathjax2_config`` instead.

MathJax also inserts hidden MathML for screen readers. Chromium renders that MathML (invisibly),
and MathJax's style sheet gives ``mathvariant="double-struck"`` (``\\mathbb``) and friends its
TeX web fonts, which the package does not ship: each such formula would request a missing
font. A small style sheet gives the hidden MathML the page's own font instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

TARGET = "mathjax"  # folder under _static/
ASSISTIVE_CSS = """\
/* Hidden MathML for screen readers (MathJax's AssistiveMML): never seen, so use the page's font
   rather than MathJax's TeX web fonts, which jupyter-server-mathjax does not ship. */
.MJX_Assistive_MathML, .MJX_Assistive_MathML * { font-family: inherit !important; }
"""
CSS_NAME = "dlbook-mathjax.css"
# Folders of the distribution a browser never asks for with our configuration.
SKIP = ("localization", "unpacked", "test", "docs")


def mathjax_source() -> Path:
    try:
        import jupyter_server_mathjax
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ExtensionError(
            "local_mathjax: the package jupyter-server-mathjax is not installed; "
            "install the book extra: pip install -e '.[book]'"
        ) from exc
    source = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    if not (source / "MathJax.js").is_file():
        raise ExtensionError(f"local_mathjax: no MathJax.js in {source}")
    return source


def copy_mathjax(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    if "://" in app.config.mathjax_path or not app.config.mathjax_path.startswith(TARGET + "/"):
        raise ExtensionError(
            f"local_mathjax: mathjax_path must start with '{TARGET}/' (a path under _static), "
            f"got {app.config.mathjax_path!r}"
        )
    source = mathjax_source()
    target = Path(app.outdir) / "_static" / TARGET
    if not (target / "MathJax.js").is_file():
        shutil.copytree(
            source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*SKIP)
        )
    script = app.config.mathjax_path.split("?", 1)[0]
    if not (Path(app.outdir) / "_static" / script).is_file():
        raise ExtensionError(f"local_mathjax: {script} is not in the MathJax distribution")
    (target / CSS_NAME).write_text(ASSISTIVE_CSS, encoding="utf-8")
    app.add_css_file(f"{TARGET}/{CSS_NAME}")
    # MathJax 2 is configured by mathjax2_config; see the module docstring.
    app.config.mathjax3_config = None


def setup(app: Sphinx) -> dict:
    # Priority 900: run after myst-parser's own builder-inited hook (priority 500).
    app.connect("builder-inited", copy_mathjax, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
