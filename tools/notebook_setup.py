"""The set-up cell every notebook starts with, generated from the repository URL in _config.yml.

The cell carries the tag ``remove-input`` (SETUP_TAG): the website (myst-nb) does not show it,
since a reader of the page needs no installation; in the notebook, in JupyterLab and in Colab,
it stays the first code cell.

`python tools/notebook_setup.py` (or `--check`) fails if a notebook's first code cell differs;
`python tools/notebook_setup.py --write FILES` rewrites that cell's source and tags in place,
and nothing else of the notebook.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
# myst-nb's cell tag that hides a cell's source on the website (its outputs, if any, stay).
SETUP_TAG = "remove-input"


def repository_url(config_path: Path = CONFIG) -> str:
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8"))
    return config["repository"]["url"].rstrip("/")


def setup_source(extras: str = "", config_path: Path = CONFIG) -> str:
    """Source of the set-up cell: installs dlbook in Colab, does nothing elsewhere."""
    spec = f"dlbook{extras} @ git+{repository_url(config_path)}"
    return (
        "# Set-up, the same in every notebook: in Google Colab, install the course's helper\n"
        "# package from the repository; anywhere else (JupyterLab, CI) this does nothing.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import subprocess\n"
        "\n"
        "    subprocess.run(\n"
        f'        [sys.executable, "-m", "pip", "install", "-q", "{spec}"],\n'
        "        check=True,\n"
        "    )"
    )


def first_code_cell(nb: nbformat.NotebookNode):
    for cell in nb.cells:
        if cell.cell_type == "code":
            return cell
    return None


def is_setup_cell(cell, extras: str = "") -> bool:
    """True if ``cell`` is the set-up cell, source and website tag both."""
    return cell is not None and cell.source == setup_source(extras) and SETUP_TAG in cell.metadata.get("tags", [])


def tag_setup_cell(cell) -> None:
    tags = cell.metadata.setdefault("tags", [])
    if SETUP_TAG not in tags:
        tags.append(SETUP_TAG)


def sync(path: Path, extras: str = "") -> bool:
    """Make the first code cell of ``path`` the set-up cell; return True if it changed.

    Only that cell's source and tags change (a new set-up cell also loses stale outputs);
    every other cell, output and metadata of the notebook is written back as it was read.
    """
    nb = nbformat.read(path, as_version=4)
    cell = first_code_cell(nb)
    wanted = setup_source(extras)
    if is_setup_cell(cell, extras):
        return False
    placeholder = cell is not None and (not cell.source.strip() or "placeholder" in cell.source.lower())
    if cell is not None and ("google.colab" in cell.source or placeholder):
        if cell.source != wanted:
            cell.source = wanted
            cell.outputs, cell.execution_count = [], None
        tag_setup_cell(cell)
    else:
        new = nbformat.v4.new_code_cell(wanted)
        tag_setup_cell(new)
        index = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
        nb.cells.insert(index, new)
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    files = args.files or sorted(ROOT.glob("chapters/*/*.ipynb"))
    bad = []
    for f in files:
        if args.write:
            if sync(f):
                print(f"updated set-up cell of {f}")
        else:
            if not is_setup_cell(first_code_cell(nbformat.read(f, as_version=4))):
                bad.append(str(f))
    for f in bad:
        print(f"{f}: first code cell is not the tagged set-up cell (run tools/notebook_setup.py --write)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
