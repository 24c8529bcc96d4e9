"""The set-up cell every notebook starts with, generated from the repository URL in _config.yml.

`python tools/notebook_setup.py --check` fails if a notebook's first code cell differs;
`python tools/notebook_setup.py --write FILES` rewrites it in place.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]


def repository_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"].rstrip("/")


def setup_source(extras: str = "") -> str:
    """Source of the set-up cell: installs dlbook in Colab, does nothing elsewhere."""
    spec = f"dlbook{extras} @ git+{repository_url()}"
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


def sync(path: Path, extras: str = "") -> bool:
    """Make the first code cell of ``path`` the set-up cell; return True if it changed."""
    nb = nbformat.read(path, as_version=4)
    cell = first_code_cell(nb)
    wanted = setup_source(extras)
    if cell is not None and cell.source == wanted:
        return False
    placeholder = cell is not None and (not cell.source.strip() or "placeholder" in cell.source.lower())
    if cell is not None and ("google.colab" in cell.source or placeholder):
        cell.source = wanted
        cell.outputs, cell.execution_count = [], None
    else:
        new = nbformat.v4.new_code_cell(wanted)
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
            cell = first_code_cell(nbformat.read(f, as_version=4))
            if cell is None or cell.source != setup_source():
                bad.append(str(f))
    for f in bad:
        print(f"{f}: first code cell is not the set-up cell (run tools/notebook_setup.py --write)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
