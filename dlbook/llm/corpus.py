"""The frozen text corpus of chapter 10, shipped with dlbook (``dlbook/llm/data/corpus.json``).

Made by ``tools/make_llm_corpus.py`` from one fixed commit of this course (MIT licence): the
Markdown prose of the chapter notebooks (English with Chinese terms, one document per notebook,
about 410 KB) and Chinese text (the glossary as "中文（English）" lines, and a few paragraphs written
for the corpus, about 11 KB). Nothing is downloaded. Because it is a snapshot, editing a chapter
does not change it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

__all__ = ["CORPUS_PATH", "corpus_documents", "load_corpus"]

CORPUS_PATH = Path(__file__).with_name("data") / "corpus.json"
_LANGUAGES = ("en", "zh", "all")
_SPLITS = ("train", "val", "all")


@lru_cache(maxsize=1)
def _corpus() -> dict:
    return json.loads(CORPUS_PATH.read_text(encoding="utf-8"))


def corpus_documents(language: str = "en", split: str = "all") -> list[dict]:
    """The corpus's documents, each a dict with ``source`` (where the text comes from),
    ``language`` (``"en"`` or ``"zh"``) and ``text``.

    Args:
        language: ``"en"``, ``"zh"`` or ``"all"``.
        split: ``"train"``, ``"val"`` or ``"all"``. The split is by document: every 10th document of
            a language (the 10th, 20th, ... in corpus order) is held out as ``"val"``, so held-out
            text comes from notebooks (or glossary sections) that training never saw.
    """
    if language not in _LANGUAGES:
        raise ValueError(f"language must be one of {_LANGUAGES}, got {language!r}")
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
    out = []
    for lang in ("en", "zh"):
        if language not in (lang, "all"):
            continue
        docs = [d for d in _corpus()["documents"] if d["language"] == lang]
        for i, d in enumerate(docs):
            held_out = i % 10 == 9
            if split == "all" or (split == "val") == held_out:
                out.append(dict(d))
    return out


def load_corpus(language: str = "en", split: str = "all") -> str:
    """The corpus as one string: the selected documents (see :func:`corpus_documents`) joined by
    blank lines. ``load_corpus("en", "train")`` is about 370 KB of English prose."""
    return "\n\n".join(d["text"] for d in corpus_documents(language, split))
