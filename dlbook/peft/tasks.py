"""A downstream task for the mini BERT that its pre-training did not ask for: the topic of the
*first half* of a sentence whose two halves come from different documents."""

from __future__ import annotations

import torch

from ..bert.corpus import TopicLanguage

__all__ = ["first_half_topics"]


def first_half_topics(lang: TopicLanguage, num: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``num`` spliced sentences and their labels.

    Each sentence is ``[CLS] a_1 .. a_h b_{h+1} .. b_n [SEP]`` (``h = n // 2``): the first half of a
    sentence on topic ``y`` and the second half of an independent sentence (topic drawn
    independently, so equal to ``y`` a quarter of the time with 4 topics). The label is ``y``: the
    model must tell the halves apart, which the pre-training's whole-sentence signal (MLM, NSP) did not
    need. Returns ``ids (num, n + 2)`` and ``labels (num,)``.
    """
    if num < 1:
        raise ValueError(f"num must be >= 1, got {num}")
    first, topics = lang.sentences(num, seed=seed)                   # (num, n + 2), (num,)
    second, _ = lang.sentences(num, seed=seed + 77_777)              # another stream of documents
    h = lang.sentence_len // 2
    ids = first.clone()
    ids[:, 1 + h:1 + lang.sentence_len] = second[:, 1 + h:1 + lang.sentence_len]  # positions after [CLS]
    return ids, topics
