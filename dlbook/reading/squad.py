"""SQuAD v1.1's evaluation (Rajpurkar et al., 2016) and span decoding (Devlin et al., 2019, section 4.2)."""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Sequence

import torch

from ..utils import check_positive_int

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD v1.1's normalisation: lower case, remove punctuation, remove the articles a/an/the
    (as whole words), collapse whitespace -- in that order, as the official script does."""
    if not isinstance(text, str):
        raise TypeError(f"normalize_answer expects a str, got {type(text).__name__}")
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _truths(ground_truths: str | Sequence[str]) -> list[str]:
    truths = [ground_truths] if isinstance(ground_truths, str) else list(ground_truths)
    if not truths:
        raise ValueError("need at least one ground-truth answer")
    return truths


def exact_match(prediction: str, ground_truths: str | Sequence[str]) -> float:
    """1.0 if the normalised prediction equals a normalised ground truth, else 0.0."""
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(t) for t in _truths(ground_truths)))


def _f1(prediction: str, truth: str) -> float:
    p, t = normalize_answer(prediction).split(), normalize_answer(truth).split()
    same = sum((Counter(p) & Counter(t)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(t)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str, ground_truths: str | Sequence[str]) -> float:
    """SQuAD's token F1 (harmonic mean of the precision and recall of the normalised tokens,
    counted as bags), the max over the ground truths."""
    return max(_f1(prediction, t) for t in _truths(ground_truths))


def squad_scores(predictions: Sequence[str], ground_truths: Sequence[str | Sequence[str]]) -> dict[str, float]:
    """``{"exact_match": ..., "f1": ...}`` in percent, averaged over questions (as the official script)."""
    if len(predictions) != len(ground_truths) or not predictions:
        raise ValueError(f"need as many predictions as questions (> 0), got {len(predictions)} and {len(ground_truths)}")
    em = sum(exact_match(p, t) for p, t in zip(predictions, ground_truths))
    f1 = sum(f1_score(p, t) for p, t in zip(predictions, ground_truths))
    return {"exact_match": 100.0 * em / len(predictions), "f1": 100.0 * f1 / len(predictions)}


def decode_spans(start_logits: torch.Tensor, end_logits: torch.Tensor, max_answer_len: int = 30,
                 mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The span ``(i, j)`` maximising ``start_logits[i] + end_logits[j]`` subject to
    ``i <= j < i + max_answer_len`` (and both allowed by ``mask``).

    Args:
        start_logits, end_logits: ``(B, T)``.
        max_answer_len: the longest span, in tokens (>= 1).
        mask: ``(B, T)`` True where a span may start or end (e.g. the passage's tokens).

    Returns:
        ``start (B,)``, ``end (B,)`` with ``start <= end``.
    """
    if start_logits.dim() != 2 or start_logits.shape != end_logits.shape:
        raise ValueError(f"start_logits and end_logits must both be (B, T), got {tuple(start_logits.shape)} and "
                         f"{tuple(end_logits.shape)}")
    check_positive_int("max_answer_len", max_answer_len)
    B, T = start_logits.shape
    i = torch.arange(T, device=start_logits.device)
    allowed = (i[None, :] >= i[:, None]) & (i[None, :] - i[:, None] < max_answer_len)  # (T, T): [start, end]
    allowed = allowed.expand(B, T, T)
    if mask is not None:
        if mask.shape != start_logits.shape:
            raise ValueError(f"mask must be (B, T) = {tuple(start_logits.shape)}, got {tuple(mask.shape)}")
        allowed = allowed & mask[:, :, None] & mask[:, None, :]
        if not allowed.flatten(1).any(1).all():
            raise ValueError("mask leaves some row without any allowed position")
    scores = start_logits[:, :, None] + end_logits[:, None, :]      # (B, T, T)
    best = scores.masked_fill(~allowed, float("-inf")).flatten(1).argmax(1)  # (B,)
    return best // T, best % T
