"""A ``repo-commands`` directive: a shell code block that names the course repository.

The repository URL lives in one place, ``repository.url`` in ``_config.yml`` (Jupyter Book
passes it to the theme as ``html_theme_options["repository_url"]``). Pages that show commands
with the URL write ``{url}`` (and ``{name}``, the repository's folder name) instead of a copy:

    ```{repo-commands}
    git clone {url}.git
    cd {name}
    ```
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective


def repository_url(config) -> str:
    url = (config.html_theme_options or {}).get("repository_url", "")
    if not url:
        raise ExtensionError("repo_commands: set repository.url in _config.yml")
    return url.rstrip("/")


class RepoCommands(SphinxDirective):
    has_content = True
    optional_arguments = 1  # the language, default bash

    def run(self) -> list[nodes.Node]:
        url = repository_url(self.config)
        text = "\n".join(self.content).format(url=url, name=url.rsplit("/", 1)[-1])
        block = nodes.literal_block(text, text)
        block["language"] = self.arguments[0] if self.arguments else "bash"
        self.set_source_info(block)
        return [block]


def setup(app: Sphinx) -> dict:
    app.add_directive("repo-commands", RepoCommands)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
