"""MyST Markdown to plain (CommonMark + $math$) Markdown, for renderers without MyST: Colab,
GitHub's notebook view, nbconvert's HTML exporter.

This module knows nothing of the course: what a citation or a cross-reference turns into is
decided by the `Context` the caller passes (labels, URLs). It converts the MyST a Jupyter Book
1.x notebook can contain:

- directives in backtick or colon fences (``{admonition}``, ``{note}`` and the other admonition
  kinds, ``{dropdown}``, ``{math}``, ``{code-block}``, ``{image}``, ``{figure}``), nested ones
  included: admonitions become a blockquote with a bold title after a symbol for the kind;
- roles: ``{cite}``/``{cite:p}``/``{cite:t}`` and friends become author-year text linked to a
  bibliography, ``{doc}``/``{ref}``/``{numref}``/``{download}`` links, ``{term}`` a link to the
  glossary, ``{math}`` ``$..$``, ``{sub}``/``{sup}`` HTML, ``{abbr}``/``{eq}``/``{kbd}`` text;
- targets ``(label)=``, comments ``% ...``, block breaks ``+++``, equation labels
  ``$$ .. $$ (label)``, relative links (resolved by the context).

Anything else MyST-specific raises `MystError` naming it, rather than leaking into the output;
`find_myst` lists MyST syntax left in a text, for tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

__all__ = ["Citation", "Context", "MystError", "convert", "find_myst", "SYMBOLS"]


class MystError(ValueError):
    """MyST syntax the converter does not know how to write as plain Markdown."""


@dataclass(frozen=True)
class Citation:
    """One bibliography entry as the text shows it: ``names`` ("Vaswani et al."), ``year``."""

    names: str
    year: str
    url: str = ""


@dataclass
class Context:
    """What the converter needs to know about the book the text comes from.

    Args:
        citations: bibliography key -> `Citation`.
        link: maps a link target relative to the current document (``../x.ipynb#sec``,
            ``images/a.png``) or a document path of a ``{doc}`` role to an absolute URL; the
            default keeps the target unchanged.
        labels: ``(label)=`` target -> (URL, title) for ``{ref}``/``{numref}``.
        glossary_url: URL of the glossary page that ``{term}`` links to ("" for plain text).
        substitutions: values of ``{{ name }}``.
    """

    citations: Mapping[str, Citation] = field(default_factory=dict)
    link: Callable[[str], str] = lambda target: target
    labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    glossary_url: str = ""
    substitutions: Mapping[str, str] = field(default_factory=dict)


# Admonition kinds (docutils' and Sphinx's) and the symbol shown before their title.
SYMBOLS = {
    "attention": "❗", "caution": "⚠️", "danger": "⛔", "error": "⛔", "hint": "💡",
    "important": "❗", "note": "ℹ️", "seealso": "🔗", "tip": "💡", "warning": "⚠️",
    "admonition": "📌", "dropdown": "▸",
}
TITLES = {"seealso": "See also"}

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<rest>.*)$")
_DIRECTIVE = re.compile(r"^\s*\{(?P<name>[A-Za-z][\w:.+-]*)\}\s*(?P<args>.*)$")
_OPTION = re.compile(r"^:(?P<key>[\w-]+):\s*(?P<value>.*)$")
# A role, or an inline code span (left alone): whichever starts first wins.
_INLINE = re.compile(r"\{(?P<role>[A-Za-z][\w:.+-]*)\}`(?P<content>[^`]*)`|(?P<ticks>`+).+?(?P=ticks)", re.S)
_TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
_LINK = re.compile(r"(?P<bang>!?)\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<target>[^()\s]+)(?P<title>\s+\"[^\"]*\")?\)")
_TARGET_LINE = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")
_EQ_LABEL = re.compile(r"(\$\$)\s*\((?P<label>[^()\s]+)\)\s*$")
_SUBST = re.compile(r"\{\{\s*(?P<name>[\w.-]+)\s*\}\}")


def targets(text: str) -> list[str]:
    """The ``(label)=`` targets a MyST text defines, in order."""
    return [m.group("label") for line in text.splitlines() if (m := _TARGET_LINE.match(line))]


def convert(text: str, ctx: Context | None = None) -> str:
    """MyST Markdown ``text`` as plain Markdown. Raises `MystError` on unknown MyST."""
    ctx = ctx or Context()
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    in_math = False
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence and not in_math:
            end = _closing(lines, i + 1, fence.group("fence"))
            body = lines[i + 1:end]
            directive = _DIRECTIVE.match(fence.group("rest"))
            if directive:
                out.extend(_directive(directive.group("name"), directive.group("args"), body, ctx))
            elif fence.group("fence")[0] == ":":
                raise MystError(f"colon fence without a directive name: {line!r}")
            else:  # an ordinary code block: copied as it is
                out.extend(lines[i:end + 1])
            i = end + 1
            continue
        if _TARGET_LINE.match(line) or (line.startswith("%") and not in_math) or line.strip() == "+++":
            i += 1
            continue
        if line.strip().startswith("$$"):
            # Display math is left to the renderer's MathJax; only a MyST label is dropped.
            opens_and_closes = line.strip() != "$$" and line.strip().endswith("$$") and line.count("$$") >= 2
            if not opens_and_closes:
                in_math = not in_math if line.count("$$") % 2 else in_math
            line = _EQ_LABEL.sub(r"\1", line)
            out.append(line)
            i += 1
            continue
        if in_math:
            if "$$" in line:
                in_math = False
                line = _EQ_LABEL.sub(r"\1", line)
            out.append(line)
            i += 1
            continue
        out.append(_inline(line, ctx))
        i += 1
    return _collapse_blank_lines("\n".join(out))


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing ``fence`` (same character, at least as long), or the end."""
    char, length = fence[0], len(fence)
    pattern = re.compile(rf"^ {{0,3}}{re.escape(char)}{{{length},}}\s*$")
    for j in range(start, len(lines)):
        if pattern.match(lines[j]):
            return j
    return len(lines)


def _options(body: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split a directive's ``:key: value`` lines (or a ``---`` YAML block) from its content."""
    options: dict[str, str] = {}
    if body and body[0].strip() == "---":
        end = next((j for j in range(1, len(body)) if body[j].strip() == "---"), None)
        if end is None:
            raise MystError("directive options opened with --- but never closed")
        for raw in body[1:end]:
            key, _, value = raw.partition(":")
            options[key.strip()] = value.strip().strip("\"'")
        return options, body[end + 1:]
    j = 0
    while j < len(body) and (m := _OPTION.match(body[j].strip())):
        options[m.group("key")] = m.group("value").strip()
        j += 1
    return options, body[j:]


def _directive(name: str, args: str, body: list[str], ctx: Context) -> list[str]:
    options, content = _options(body)
    content_text = "\n".join(content).strip("\n")
    kind = name.lower()
    if kind in ("admonition", "dropdown") or kind in SYMBOLS:
        classes = options.get("class", "").split()
        if kind == "admonition":
            title = args.strip() or "Note"
            kind = next((c for c in classes if c in SYMBOLS and c not in ("admonition", "dropdown")), "admonition")
        elif kind == "dropdown":
            title = args.strip() or "Details"
        else:  # {note} and friends: no title argument, a first line is content
            title = TITLES.get(kind, kind.capitalize())
            content_text = "\n".join(p for p in (args.strip(), content_text) if p)
        inner = convert(content_text, ctx)
        symbol = SYMBOLS[kind]
        lines = [f"> **{symbol} {_inline(title, ctx)}**", ">"]
        lines += [f"> {l}" if l.strip() else ">" for l in inner.split("\n")]
        return ["", *lines, ""]
    if kind == "math":
        return ["", "$$", content_text, "$$", ""]
    if kind in ("code-block", "code", "sourcecode", "code-cell"):
        language = args.strip().split()[0] if args.strip() else ""
        fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", content_text)), default=0))
        return [f"{fence}{language}", content_text, fence]
    if kind in ("image", "figure"):
        url = ctx.link(args.strip())
        alt = options.get("alt", "")
        lines = ["", f"![{alt}]({url})"]
        if kind == "figure" and content_text:
            lines += ["", f"*{_inline(convert(content_text, ctx).strip(), ctx)}*"]
        return [*lines, ""]
    raise MystError(f"no plain-Markdown form for the directive {{{name}}}")


def _inline(line: str, ctx: Context) -> str:
    def replace(m: re.Match) -> str:
        if m.group("role") is None:
            return m.group(0)  # inline code
        return _role(m.group("role"), m.group("content"), ctx)

    line = _INLINE.sub(replace, line)
    line = _SUBST.sub(lambda m: _substitute(m.group("name"), ctx), line)
    return _LINK.sub(lambda m: _link(m, ctx), line)


def _substitute(name: str, ctx: Context) -> str:
    if name not in ctx.substitutions:
        raise MystError(f"no value for the substitution {{{{ {name} }}}}")
    return ctx.substitutions[name]


def _link(m: re.Match, ctx: Context) -> str:
    target = m.group("target")
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:, ...
        return m.group(0)
    return f"{m.group('bang')}[{m.group('text')}]({ctx.link(target)}{m.group('title') or ''})"


def _titled(content: str) -> tuple[str, str]:
    """``Title <target>`` -> (title, target); a bare ``target`` -> ("", target)."""
    m = _TITLED.match(content.strip())
    return (m.group("title").strip(), m.group("target").strip()) if m else ("", content.strip())


def _cite(kind: str, content: str, ctx: Context) -> str:
    keys = [k.strip() for k in content.split(",") if k.strip()]
    entries = []
    for key in keys:
        if key not in ctx.citations:
            raise MystError(f"unknown citation key {key!r}")
        entries.append(ctx.citations[key])

    def linked(text: str, entry: Citation) -> str:
        return f"[{text}]({entry.url})" if entry.url else text

    if kind in ("cite", "cite:p", "cite:ps"):
        return "(" + "; ".join(linked(f"{e.names}, {e.year}", e) for e in entries) + ")"
    if kind in ("cite:t", "cite:ts"):
        return "; ".join(f"{e.names} ({linked(e.year, e)})" for e in entries)
    if kind in ("cite:author", "cite:authors"):
        return "; ".join(linked(e.names, e) for e in entries)
    if kind in ("cite:year", "cite:yearpar"):
        years = ", ".join(linked(e.year, e) for e in entries)
        return f"({years})" if kind == "cite:yearpar" else years
    raise MystError(f"no plain-Markdown form for the role {{{kind}}}")


def _role(name: str, content: str, ctx: Context) -> str:
    if name.startswith("cite"):
        return _cite(name, content, ctx)
    if name in ("math", "m"):
        return f"${content}$"
    if name in ("doc", "download"):
        title, target = _titled(content)
        return f"[{title or target.rsplit('/', 1)[-1]}]({ctx.link(target)})"
    if name in ("ref", "numref", "eq"):
        title, label = _titled(content)
        if label not in ctx.labels:
            raise MystError(f"unknown label {label!r} in {{{name}}}")
        url, default = ctx.labels[label]
        text = title or default or label
        return f"({text})" if name == "eq" else f"[{text}]({url})"
    if name == "term":
        title, term = _titled(content)
        text = title or term
        return f"[{text}]({ctx.glossary_url})" if ctx.glossary_url else text
    if name in ("sub", "sup"):
        return f"<{name}>{content}</{name}>"
    if name in ("abbr", "dfn", "guilabel", "menuselection", "index"):
        return content.replace("&", "")
    if name in ("kbd", "code", "samp", "file", "command", "literal"):
        return f"`{content}`"
    raise MystError(f"no plain-Markdown form for the role {{{name}}}")


def _collapse_blank_lines(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


# --- detection -------------------------------------------------------------------------------

_LEFTOVERS = [
    ("role", re.compile(r"\{[A-Za-z][\w:.+-]*\}`")),
    ("directive", re.compile(r"^\s*(?:`{3,}|~{3,}|:{3,})\s*\{", re.M)),
    ("colon fence", re.compile(r"^\s*:{3,}", re.M)),
    ("directive option", re.compile(r"^\s*:(?:class|name|label|open|alt|width|align|icon|color|caption|"
                                    r"dropdown|figclass|figwidth|linenos|emphasize-lines):", re.M)),
    ("target", re.compile(r"^\s*\([^()\s]+\)=\s*$", re.M)),
    ("comment", re.compile(r"^%", re.M)),
    ("block break", re.compile(r"^\+\+\+\s*$", re.M)),
    ("substitution", re.compile(r"\{\{[^}]*\}\}")),
    ("equation label", re.compile(r"\$\$\s*\([^()\s]+\)\s*$", re.M)),
]


def find_myst(text: str) -> list[str]:
    """MyST syntax left in a Markdown text, as "kind: excerpt" strings (empty if none).

    Conservative on purpose: it also flags MyST written inside a code span or block.
    """
    found = []
    for kind, pattern in _LEFTOVERS:
        for m in pattern.finditer(text):
            start = max(0, m.start() - 30)
            found.append(f"{kind}: ...{text[start:m.end() + 30]!r}...")
    return found
