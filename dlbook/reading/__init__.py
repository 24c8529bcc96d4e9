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
- :func:`fine_tune_reader`, :func:`load_readers`: chapter 11's fine-tuning recipe and the three
  readers it made, shipped with the package so that later notebooks need not fine-tune again.
"""

from .facts import FactReading, ReadingBatch, lexical_overlap_answers
from .model import MATCH_SEGMENT, SpanQA, match_segments, span_loss
from .readers import READER_RECIPE, READER_SEEDS, READERS_TORCH, READERS_WEIGHTS, fact_reading_task, fine_tune_reader, load_readers
from .squad import decode_spans, exact_match, f1_score, normalize_answer, squad_scores

__all__ = ["MATCH_SEGMENT", "READERS_TORCH", "READERS_WEIGHTS", "READER_RECIPE", "READER_SEEDS", "FactReading",
           "ReadingBatch", "SpanQA", "decode_spans", "exact_match", "f1_score", "fact_reading_task", "fine_tune_reader",
           "lexical_overlap_answers", "load_readers", "match_segments", "normalize_answer", "span_loss", "squad_scores"]
