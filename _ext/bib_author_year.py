"""Bibliography labels that match the author-year citations in the text.

The chapters cite with ``bibtex_reference_style: author_year`` ("[Rosenblatt, 1958]"), but
pybtex's styles label the bibliography itself with numbers ("[1]"), so a reader cannot match a
citation to its entry by eye. This registers a pybtex formatting style ``dlbook`` (the ``plain``
style, sorted by author, year, title) whose labels read "Rosenblatt, 1958", "Minsky and
Papert, 1969", "Rumelhart et al., 1986", the same text as the citations.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter

import latexcodec  # noqa: F401  (registers the "ulatex" codec; a dependency of pybtex)
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.application import Sphinx


def _plain(text: str) -> str:
    """LaTeX name to text: {\\"u} -> ü, braces dropped."""
    decoded = codecs.decode(text, "ulatex")
    return re.sub(r"[{}]", "", decoded)


def _surname(person) -> str:
    return _plain(" ".join(person.prelast_names + person.last_names))


def author_names(entry) -> str:
    """"Rosenblatt", "Minsky and Papert", "Rumelhart et al." (the title if there is no author)."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    if not persons:
        return _plain(entry.fields.get("title", entry.key))
    if len(persons) == 1:
        return _surname(persons[0])
    if len(persons) == 2:
        return f"{_surname(persons[0])} and {_surname(persons[1])}"
    return f"{_surname(persons[0])} et al."


def entry_year(entry) -> str:
    return entry.fields.get("year", "n.d.")


def author_year(entry) -> str:
    return f"{author_names(entry)}, {entry_year(entry)}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        labels = [author_year(e) for e in entries]
        counts, seen = Counter(labels), Counter()
        for label in labels:
            if counts[label] > 1:  # two papers, same authors and year: 2015a, 2015b
                seen[label] += 1
                label = f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label] - 1]}"
            yield label


class AuthorYearStyle(PlainStyle):
    default_label_style = AuthorYearLabelStyle
    default_sorting_style = "author_year_title"


def setup(app: Sphinx) -> dict:
    register_plugin("pybtex.style.labels", "dlbook_author_year", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "dlbook", AuthorYearStyle)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
