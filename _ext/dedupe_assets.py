"""Drop duplicate <script>/<link> tags from every page.

With Sphinx 7, the inline scripts of sphinx-thebe and sphinx-togglebutton (loaded by Jupyter
Book) reach the page twice, once registered with filename ``None`` and once with ``""``, which
Sphinx does not see as equal. Each page then declares ``const THEBE_JS_URL`` twice and the
browser throws "Identifier 'THEBE_JS_URL' has already been declared" (the real-browser test in
tests/site/ caught it). This keeps the first of any assets that differ only in that way.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _key(asset) -> tuple:
    attributes = getattr(asset, "attributes", {}) or {}
    # An inline script is registered once with filename None and once with "": the same asset.
    filename = getattr(asset, "filename", asset) or ""
    return (str(filename), tuple(sorted(attributes.items())))


def dedupe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    for name in ("script_files", "css_files"):
        assets = context.get(name)
        if not isinstance(assets, list):
            continue
        seen, kept = set(), []
        for asset in assets:
            key = _key(asset)
            if key not in seen:
                seen.add(key)
                kept.append(asset)
        assets[:] = kept


def setup(app: Sphinx) -> dict:
    app.connect("html-page-context", dedupe, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
