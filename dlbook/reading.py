"""Extractive machine reading comprehension: SQuAD's metrics, span decoding, a span head for
the mini BERT, and a generated reading set with AddSent-style distractors.

- :func:`normalize_answer`, :func:`exact_match`, :func:`f1_score`: the official SQuAD v1.1
  evaluation's rules (Rajpurkar et al., 2016): lower case, drop punctuation, drop the articles
  *a/an/the*, collapse whitespace; F1 over bags of tokens; each the max over the ground truths;
- :func:`decode_spans`: the best ``(start, end)`` with ``start <= end < start + max_answer_len``
  from start/end logits (Devlin et al., 2019, section 4.2);
- :class:`SpanQA` and :func:`span_loss`: start/end heads on a BERT encoder, optionally with an
  exact-match flag (:func:`match_segments`; Chen et al., 2017) in a third segment row;
- :func:`lexical_overlap_answers`: the word-overlap baseline;
- :class:`FactReading`: passages of facts written in the mini BERT's vocabulary, questions that
  paraphrase them, answers that are spans, and AddSent-style distractor sentences (Jia & Liang, 2017).
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .bert.corpus import TopicLanguage
from .bert.model import BertModel
from .utils import check_positive_int, eval_mode

__all__ = ["MATCH_SEGMENT", "FactReading", "ReadingBatch", "SpanQA", "decode_spans", "exact_match", "f1_score",
           "lexical_overlap_answers", "match_segments", "normalize_answer", "span_loss", "squad_scores"]

#: The segment id :func:`match_segments` gives a passage token that also occurs in the question.
MATCH_SEGMENT: int = 2

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


def match_segments(ids: torch.Tensor, segments: torch.Tensor, special_ids: Sequence[int] = (0, 1, 2, 3)) -> torch.Tensor:
    """Segments with an *exact-match* flag: a passage token (segment 1) that also occurs among the
    question's tokens (segment 0, special tokens excluded) gets segment :data:`MATCH_SEGMENT`.

    The flag is DrQA's exact-match feature (Chen et al., 2017, "Reading Wikipedia to Answer
    Open-Domain Questions"), carried by a third row of BERT's segment table
    (``SpanQA(bert, match_feature=True)``). Shapes: ``ids``, ``segments`` ``(B, T)`` -> ``(B, T)``.
    """
    if ids.dim() != 2 or segments.shape != ids.shape:
        raise ValueError(f"ids and segments must both be (B, T), got {tuple(ids.shape)} and {tuple(segments.shape)}")
    special = torch.isin(ids, torch.tensor(list(special_ids), device=ids.device))
    question = (segments == 0) & ~special                            # (B, T)
    same = ids[:, :, None] == ids[:, None, :]                        # (B, T, T): token t equals token u
    in_question = (same & question[:, None, :]).any(-1)              # (B, T)
    out = segments.clone()
    out[(segments == 1) & in_question & ~special] = MATCH_SEGMENT
    return out


class SpanQA(nn.Module):
    """Start/end heads on a BERT encoder (Devlin et al., 2019): one linear map ``H -> 2`` of every
    token's last hidden state.

    ``forward(ids (B, T), segments (B, T)) -> logits (B, T, 2)`` (start, end); positions outside the
    passage (``segments == 0`` or padding) get a large negative logit, so an answer is always a
    span of the passage.

    Args:
        bert: the encoder.
        match_feature: widen the segment table by one row for :data:`MATCH_SEGMENT` (passage
            tokens that occur in the question, :func:`match_segments`), initialised as the passage
            segment's row, so the model starts as if the flag were absent.
    """

    def __init__(self, bert: BertModel, match_feature: bool = False):
        super().__init__()
        self.bert = bert
        self.head = nn.Linear(bert.config.d_model, 2)
        if match_feature:
            old = bert.embeddings.segment.weight.detach()            # (2, E)
            if old.shape[0] != 2:
                raise ValueError(f"match_feature expects a segment table of 2 rows, got {old.shape[0]}")
            table = nn.Embedding(3, old.shape[1])
            with torch.no_grad():
                table.weight.copy_(torch.cat([old, old[1:]]))        # (3, E): row 2 starts as row 1
            bert.embeddings.segment = table

    def forward(self, ids: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
        out = self.bert(ids, segments)
        logits = self.head(out.last_hidden)                          # (B, T, H) -> (B, T, 2)
        outside = (segments == 0) | (ids == self.bert.pad_id)       # (B, T)
        return logits.masked_fill(outside[:, :, None], -1e4)


def span_loss(logits: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
    """Mean of the start and end cross-entropies: ``logits (B, T, 2)``, ``spans (B, 2)`` (start, end)."""
    if logits.dim() != 3 or logits.shape[2] != 2 or spans.shape != (logits.shape[0], 2):
        raise ValueError(f"span_loss expects logits (B, T, 2) and spans (B, 2), got {tuple(logits.shape)} and "
                         f"{tuple(spans.shape)}")
    return (F.cross_entropy(logits[..., 0], spans[:, 0]) + F.cross_entropy(logits[..., 1], spans[:, 1])) / 2


@dataclass
class ReadingBatch:
    """Questions about passages, encoded as ``[CLS] question [SEP] passage [SEP] [PAD]...``.

    Attributes:
        ids, segments: ``(N, T)``; segment 1 marks the passage and its final ``[SEP]``.
        spans: ``(N, 2)`` the answer's first and last token positions in ``ids``.
        questions, passages, answers: the texts (space-separated tokens).
        sentences: per example, the passage's sentences as lists of tokens.
        distractor: per example, the position range ``(start, end)`` of the added sentence in ``ids`` or None.
    """

    ids: torch.Tensor
    segments: torch.Tensor
    spans: torch.Tensor
    questions: list[str]
    passages: list[str]
    answers: list[str]
    sentences: list[list[list[str]]]
    distractor: list[tuple[int, int] | None]

    def __len__(self) -> int:
        return len(self.answers)


class FactReading:
    """A generated extractive reading set in the vocabulary of a :class:`~dlbook.bert.TopicLanguage`.

    The language's words get roles: one *full stop*, entities, relations (a passage form and a
    different question form of each, so a question paraphrases the sentence that answers it),
    and values. A passage holds ``facts`` sentences ``entity relation value [value] .`` about two
    entities (two relations each, in random order); the values are drawn afresh for every
    passage, so no model can answer without reading it. A question is ``entity relation'`` and
    its answer is the value span of the matching sentence. The distractor (Jia & Liang's AddSent,
    in kind) is a sentence made from the question itself -- a *different* entity, the question's
    own relation word, a fake value -- so it shares more words with the question than the answer's
    sentence does, but does not answer it.

    Args:
        language: gives the vocabulary (default: the mini BERT's, :func:`dlbook.bert.mini_bert_language`).
        num_entities, num_relations: sizes of those roles; the remaining words are values.
        facts: sentences per passage (an even number: ``facts / 2`` per entity).
        max_value_len: values have 1 to this many words.
    """

    def __init__(self, language: TopicLanguage | None = None, num_entities: int = 8, num_relations: int = 4,
                 facts: int = 4, max_value_len: int = 2, entities_per_passage: int = 2):
        if language is None:
            from .bert.pretrain import mini_bert_language

            language = mini_bert_language()
        words = list(language.words)
        need = 1 + num_entities + 2 * num_relations + 2
        if len(words) < need:
            raise ValueError(f"the language has {len(words)} words; these roles need at least {need}")
        k = entities_per_passage
        if k < 1 or facts < 2 or facts % k or facts // k > num_relations or num_entities < k + 1:
            raise ValueError(f"need facts >= 2, a multiple of entities_per_passage, with facts / entities_per_passage <= "
                             f"num_relations and num_entities > entities_per_passage, got facts={facts}, "
                             f"entities_per_passage={k}, num_relations={num_relations}, num_entities={num_entities}")
        self.entities_per_passage = k
        self.language = language
        self.stop = words[0]
        self.entities = words[1:1 + num_entities]
        r = 1 + num_entities
        self.relations = words[r:r + num_relations]                 # as written in passages
        self.question_relations = words[r + num_relations:r + 2 * num_relations]  # as asked
        self.values = words[r + 2 * num_relations:]
        self.facts, self.max_value_len = facts, max_value_len
        self.max_len = 3 + 2 + (facts + 1) * (3 + max_value_len)     # with room for one distractor

    def sample(self, num: int, seed: int = 0, distractor: str | None = None) -> ReadingBatch:
        """``num`` questions, one per fresh passage.

        Args:
            num: examples.
            seed: the generator's seed.
            distractor: None; ``"end"`` appends an AddSent-style sentence after the passage
                (where Jia & Liang put it); ``"start"`` puts it first; ``"random"`` at a random
                sentence boundary.
        """
        if distractor not in (None, "end", "start", "random"):
            raise ValueError(f"distractor must be None, 'end', 'start' or 'random', got {distractor!r}")
        rng = np.random.default_rng(seed)
        lang = self.language
        ids = torch.full((num, self.max_len), lang.pad_id, dtype=torch.long)
        segments = torch.zeros((num, self.max_len), dtype=torch.long)
        spans = torch.zeros((num, 2), dtype=torch.long)
        questions, passages, answers, all_sentences, where = [], [], [], [], []
        per_entity = self.facts // self.entities_per_passage
        for n in range(num):
            ents = rng.choice(len(self.entities), size=self.entities_per_passage, replace=False)
            sentences, facts = [], []
            for e in ents:
                for r in rng.choice(len(self.relations), size=per_entity, replace=False):
                    value = list(rng.choice(self.values, size=int(rng.integers(1, self.max_value_len + 1))))
                    facts.append((e, r, value))
            order = rng.permutation(len(facts))
            facts = [facts[i] for i in order]
            e, r, value = facts[int(rng.integers(len(facts)))]
            sentences = [[self.entities[fe], self.relations[fr], *fv, self.stop] for fe, fr, fv in facts]
            answer_index = next(i for i, f in enumerate(facts) if f[0] == e and f[1] == r)
            question = [self.entities[e], self.question_relations[r]]
            added = None
            if distractor is not None:
                others = [i for i in range(len(self.entities)) if i not in ents]
                fake_e = self.entities[others[int(rng.integers(len(others)))]]
                while True:
                    fake = list(rng.choice(self.values, size=int(rng.integers(1, self.max_value_len + 1))))
                    if fake != value:
                        break
                at = {"end": len(sentences), "start": 0}.get(distractor, int(rng.integers(len(sentences) + 1)))
                sentences.insert(at, [fake_e, self.question_relations[r], *fake, self.stop])
                if at <= answer_index:
                    answer_index += 1
                added = at
            tokens = ["[CLS]", *question, "[SEP]"]
            offset = len(tokens)
            starts = []
            for s in sentences:
                starts.append(len(tokens))
                tokens += s
            tokens.append("[SEP]")
            a0 = starts[answer_index] + 2
            ids[n, :len(tokens)] = lang.encode(" ".join(tokens))
            segments[n, offset:len(tokens)] = 1
            spans[n] = torch.tensor([a0, a0 + len(value) - 1])
            questions.append(" ".join(question))
            passages.append(" ".join(w for s in sentences for w in s))
            answers.append(" ".join(value))
            all_sentences.append(sentences)
            where.append(None if added is None else (starts[added], starts[added] + len(sentences[added]) - 1))
        return ReadingBatch(ids, segments, spans, questions, passages, answers, all_sentences, where)

    def span_text(self, ids: torch.Tensor, start: torch.Tensor, end: torch.Tensor) -> list[str]:
        """The tokens ``ids[b, start[b] : end[b] + 1]`` as text, for each row ``b``."""
        return [self.language.decode(row[int(s):int(e) + 1]) for row, s, e in zip(ids, start, end)]

    @torch.no_grad()
    def predict(self, model: nn.Module, batch: ReadingBatch, max_answer_len: int | None = None,
                batch_size: int = 512) -> list[str]:
        """``model``'s answers (text) to ``batch``, decoded with :func:`decode_spans` inside the passage."""
        device = next(model.parameters()).device
        out: list[str] = []
        with eval_mode(model):
            for i in range(0, len(batch), batch_size):
                ids, seg = batch.ids[i:i + batch_size].to(device), batch.segments[i:i + batch_size].to(device)
                logits = model(ids, seg)                             # (B, T, 2)
                mask = (seg >= 1) & (ids != self.language.sep_id)
                s, e = decode_spans(logits[..., 0], logits[..., 1], max_answer_len or self.max_value_len, mask)
                out += self.span_text(ids.cpu(), s.cpu(), e.cpu())
        return out


def lexical_overlap_answers(batch: ReadingBatch, skip: int = 2) -> list[str]:
    """The lexical-overlap baseline: the passage sentence sharing the most words with the question
    (the first on ties; the sliding-window idea of Richardson et al., 2013, and the baseline of
    Rajpurkar et al., 2016), answered with its words after the first ``skip`` (where a
    :class:`FactReading` sentence keeps its value) and before its final full stop."""
    check_positive_int("skip", skip, minimum=0)
    out = []
    for question, sentences in zip(batch.questions, batch.sentences):
        q = set(question.split())
        best = max(sentences, key=lambda s: len(q & set(s)))         # max keeps the first of equals
        out.append(" ".join(best[skip:-1]))
    return out
