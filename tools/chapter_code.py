"""Which ``dlbook`` modules each chapter's notebooks use: the "code" column of the README's
chapter table and the "Code" line of each chapter's index page (tests/test_notebooks.py keeps
both equal to what this finds).

A notebook uses a module when a code cell writes ``from dlbook import <module>``,
``from dlbook.<module> import ...`` or ``dlbook.<module>.``. The modules every chapter leans on
(``data``, ``plot``, ``train``, ``runtime``, ``utils``) are left out of the lists.

    python tools/chapter_code.py           # prints each chapter's list
    python tools/chapter_code.py --write   # updates the README's column and the index pages' Code lines
"""

from __future__ import annotations

import json
import pkgutil
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Used by (nearly) every chapter, so named once in the README instead of in every row.
EVERYWHERE = frozenset({"data", "plot", "train", "runtime", "utils"})


def dlbook_modules() -> set[str]:
    """The names of dlbook's top-level modules and subpackages, read from the source tree."""
    return {m.name for m in pkgutil.iter_modules([str(ROOT / "dlbook")]) if not m.name.startswith("_")}


def chapter_modules(chapter: Path) -> list[str]:
    """Sorted names of the dlbook modules (beyond :data:`EVERYWHERE`) that ``chapter``'s notebooks use."""
    known, used = dlbook_modules(), set()
    for nb in sorted(chapter.glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            for m in re.finditer(r"^\s*from dlbook import \(?([^\n)]+)", src, flags=re.M):
                used |= {n for n in re.split(r"[,\s]+", m.group(1)) if n in known}
            used |= {m.group(1) for m in re.finditer(r"\bdlbook\.([a-z_]+)\b", src) if m.group(1) in known}
    return sorted(used - EVERYWHERE)


def code_cell(modules: list[str]) -> str:
    """The text of the README's code column (and of the index pages' Code line)."""
    return ", ".join(f"`{m}`" for m in modules) if modules else "—"


def chapters() -> list[Path]:
    return sorted(p for p in (ROOT / "chapters").iterdir() if p.is_dir() and p.name[:2].isdigit())


CODE_LINE = "**Code in `dlbook`:** {cell} (besides `data`, `plot` and `fit`, which every chapter uses)."


def write() -> None:
    """Rewrite the README's code column and each index page's Code line from the notebooks."""
    readme = ROOT / "README.md"
    lines = readme.read_text(encoding="utf-8").split("\n")
    for ch in chapters():
        cell = code_cell(chapter_modules(ch))
        for i, line in enumerate(lines):
            if line.startswith(f"| {int(ch.name[:2])} | "):
                lines[i] = line.rstrip(" |").rsplit(" | ", 1)[0] + f" | {cell} |"
        index = ch / "index.md"
        if index.exists():
            text = index.read_text(encoding="utf-8")
            new = CODE_LINE.format(cell=cell)
            if "**Code in `dlbook`:**" in text:
                text = re.sub(r"^\*\*Code in `dlbook`:\*\*.*$", lambda _: new, text, flags=re.M)
            else:
                text = text.replace("```{tableofcontents}\n```", "```{tableofcontents}\n```\n\n" + new, 1)
            index.write_text(text, encoding="utf-8")
    readme.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        write()
    for ch in chapters():
        print(f"{ch.name:20s} {code_cell(chapter_modules(ch))}")
