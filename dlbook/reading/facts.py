"""A generated reading set in the mini BERT's vocabulary, with AddSent-style distractors (Jia & Liang, 2017)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..bert.corpus import TopicLanguage
from ..utils import check_positive_int, eval_mode
from .squad import decode_spans

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
            from ..bert.pretrain import mini_bert_language

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
