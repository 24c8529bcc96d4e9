"""Draw the course map on the landing page: the chapters and which ones each builds on.

Writes ``images/course_map.svg`` (hand-written SVG: crisp at any zoom, a few kB, no plotting
dependency). A chapter is drawn solid when `_toc.yml` lists a file under its folder
(``chapters/NN_*``) and dashed ("in preparation") otherwise, so the map follows the book.

    python tools/make_course_map.py           # write the figure
    python tools/make_course_map.py --check   # exit 1 if the committed figure is stale
"""

from __future__ import annotations

import argparse
import sys
from html import escape
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from toc import toc_files  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "images" / "course_map.svg"

# number: (English title, Chinese title, row, column) on a 3-column grid.
CHAPTERS: dict[int, tuple[str, str, int, int]] = {
    0: ("Introduction", "引言：会学习的机器", 0, 1),
    1: ("Neurons and networks", "神经元与神经网络", 1, 1),
    2: ("Backpropagation", "反向传播与优化", 2, 1),
    3: ("Convolutional networks", "卷积神经网络", 3, 0),
    8: ("Meta-learning", "元学习", 3, 1),
    4: ("Recurrent networks", "循环神经网络", 3, 2),
    6: ("GANs", "生成对抗网络", 4, 0),
    7: ("Knowledge distillation", "知识蒸馏与模型压缩", 4, 1),
    5: ("Transformer and BERT", "Transformer 与 BERT", 4, 2),
}
# (prerequisite, chapter): the chapter uses what the prerequisite teaches.
EDGES = [(0, 1), (1, 2), (2, 3), (2, 8), (2, 4), (3, 6), (4, 5), (3, 7), (5, 7)]

BOX_W, BOX_H = 206, 60
GAP_X, GAP_Y = 22, 34
MARGIN = 10
LEGEND_H = 34
FONT = "'Noto Sans', 'Helvetica Neue', Arial, 'WenQuanYi Micro Hei', 'PingFang SC', 'Microsoft YaHei', sans-serif"


def published_chapters(toc_path: Path = ROOT / "_toc.yml") -> set[int]:
    """Chapter numbers with at least one file in the table of contents."""
    files = toc_files(toc_path)
    numbers = set()
    for f in files:
        parts = f.split("/")
        if len(parts) > 1 and parts[0] == "chapters" and parts[1][:2].isdigit():
            numbers.add(int(parts[1][:2]))
    return numbers


def box_xy(row: int, col: int) -> tuple[int, int]:
    return MARGIN + col * (BOX_W + GAP_X), MARGIN + row * (BOX_H + GAP_Y)


def anchor(n: int, side: str) -> tuple[float, float]:
    _, _, row, col = CHAPTERS[n]
    x, y = box_xy(row, col)
    return {
        "top": (x + BOX_W / 2, y),
        "bottom": (x + BOX_W / 2, y + BOX_H),
        "left": (x, y + BOX_H / 2),
        "right": (x + BOX_W, y + BOX_H / 2),
    }[side]


def edge_path(a: int, b: int) -> str:
    ra, ca = CHAPTERS[a][2:]
    rb, cb = CHAPTERS[b][2:]
    if ra == rb:  # same row: side to side
        (x1, y1), (x2, y2) = (anchor(a, "left"), anchor(b, "right")) if ca > cb else (
            anchor(a, "right"), anchor(b, "left"))
        return f"M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}"
    x1, y1 = anchor(a, "bottom")
    x2, y2 = anchor(b, "top")
    if ca != cb:  # start from the box edge nearer the target so arrows do not cross boxes
        x1 += (BOX_W / 2 - 20) * (1 if cb > ca else -1) * (0 if a == 2 else 1)
    ym = (y1 + y2) / 2
    return f"M{x1:.0f},{y1:.0f} C{x1:.0f},{ym:.0f} {x2:.0f},{ym:.0f} {x2:.0f},{y2 - 2:.0f}"


def render(published: set[int]) -> str:
    rows = 1 + max(r for *_, r, _ in CHAPTERS.values())
    width = 2 * MARGIN + 3 * BOX_W + 2 * GAP_X
    height = 2 * MARGIN + rows * BOX_H + (rows - 1) * GAP_Y + LEGEND_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        'aria-labelledby="title desc" font-family="' + FONT + '">',
        "<title id=\"title\">Course map of dlbook</title>",
        "<desc id=\"desc\">The chapters of the course and the chapters each one builds on. "
        + escape("; ".join(f"chapter {b} builds on chapter {a}" for a, b in EDGES)) + ".</desc>",
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
        "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
        "fill=\"#5a6b7d\"/></marker></defs>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for a, b in EDGES:
        dashed = ' stroke-dasharray="5 4"' if b not in published else ""
        out.append(
            f'<path d="{edge_path(a, b)}" fill="none" stroke="#5a6b7d" stroke-width="1.6"'
            f'{dashed} marker-end="url(#arrow)"/>'
        )
    for n, (title, chinese, row, col) in sorted(CHAPTERS.items()):
        x, y = box_xy(row, col)
        done = n in published
        fill, stroke, ink, sub = (
            ("#e7f0fb", "#2563a6", "#12324f", "#3b5670") if done
            else ("#f6f7f8", "#9aa5b1", "#5d6b78", "#7b8794")
        )
        dash = "" if done else ' stroke-dasharray="6 4"'
        out.append(
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="9" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="1.8"{dash}/>'
        )
        out.append(
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + 26}" text-anchor="middle" font-size="14.5" '
            f'font-weight="bold" fill="{ink}">{n} · {escape(title)}</text>'
        )
        out.append(
            f'<text x="{x + BOX_W / 2:.0f}" y="{y + 47}" text-anchor="middle" font-size="13.5" '
            f'fill="{sub}">{escape(chinese)}</text>'
        )
    # Legend.
    ly = height - LEGEND_H + 8
    out.append(f'<rect x="{MARGIN}" y="{ly}" width="26" height="16" rx="4" fill="#e7f0fb" '
               'stroke="#2563a6" stroke-width="1.5"/>')
    out.append(f'<text x="{MARGIN + 34}" y="{ly + 13}" font-size="13" fill="#3b5670">'
               'in this edition</text>')
    out.append(f'<rect x="{MARGIN + 160}" y="{ly}" width="26" height="16" rx="4" fill="#f6f7f8" '
               'stroke="#9aa5b1" stroke-width="1.5" stroke-dasharray="5 3"/>')
    out.append(f'<text x="{MARGIN + 194}" y="{ly + 13}" font-size="13" fill="#5d6b78">'
               'in preparation</text>')
    out.append(f'<text x="{width - MARGIN}" y="{ly + 13}" font-size="13" fill="#5d6b78" '
               'text-anchor="end">arrow: A → B means B builds on A</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the figure is stale")
    args = parser.parse_args(argv)
    svg = render(published_chapters())
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != svg:
            print(f"{OUT.relative_to(ROOT)} is stale: run python tools/make_course_map.py")
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if not OUT.is_file() or OUT.read_text(encoding="utf-8") != svg:
        OUT.write_text(svg, encoding="utf-8")
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
