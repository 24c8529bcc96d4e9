"""The Colab launch buttons open the Colab-ready copy of a notebook, not its MyST source.

sphinx-book-theme builds the Colab button as
``{colab_url}/github/OWNER/REPO/blob/{repository.branch}/{page}.ipynb``. Colab renders Markdown
without MyST, so the course publishes converted copies (tools/colab_notebooks.py, written by
``make book`` to _build/html/colab/ and pushed by the Pages workflow) on the branch
``launch_buttons.colab_branch`` of _config.yml. This rewrites the branch of every Colab button
to that one; the other buttons (repository, issues, download) keep the source.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError


def colab_branch(app: Sphinx) -> str:
    launch = (app.config.html_theme_options or {}).get("launch_buttons") or {}
    branch = launch.get("colab_branch", "")
    if launch.get("colab_url") and not branch:
        raise ExtensionError("colab_launch: set launch_buttons.colab_branch in _config.yml")
    return branch


def retarget(app: Sphinx, pagename, templatename, context, doctree) -> None:
    branch = colab_branch(app)
    options = app.config.html_theme_options or {}
    source_branch = options.get("repository_branch") or "master"  # the theme's own default
    colab_url = ((options.get("launch_buttons") or {}).get("colab_url") or "").strip("/")
    if not branch or not colab_url:
        return
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            url = button.get("url", "")
            if button.get("text") == "Colab" and url.startswith(colab_url + "/github/"):
                head, sep, tail = url.partition(f"/blob/{source_branch}/")
                if not sep:
                    raise ExtensionError(f"colab_launch: unexpected Colab URL {url}")
                button["url"] = f"{head}/blob/{branch}/{tail}"


def setup(app: Sphinx) -> dict:
    # After sphinx-book-theme's add_launch_buttons (priority 501).
    app.connect("html-page-context", retarget, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
