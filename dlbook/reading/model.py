"""A span head on the mini BERT (Devlin et al., 2019) and DrQA's exact-match flag (Chen et al., 2017)."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..bert.model import BertModel

#: The segment id :func:`match_segments` gives a passage token that also occurs in the question.
MATCH_SEGMENT: int = 2


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
