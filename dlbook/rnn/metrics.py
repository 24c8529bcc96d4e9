"""Losses and metrics for sequence outputs ``(B, T, V)`` with labels ``(B, T)``; a label equal to
:data:`~dlbook.seqdata.IGNORE_INDEX` (-100) is skipped. (Formerly ``dlbook.rnn.training``, now a deprecated alias.)"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..seqdata.vocab import IGNORE_INDEX

__all__ = ["exact_match", "sequence_cross_entropy", "token_accuracy"]


def _check(logits: torch.Tensor, labels: torch.Tensor) -> None:
    if logits.dim() != 3 or labels.shape != logits.shape[:2]:
        raise ValueError(f"expected logits (B, T, V) and labels (B, T), got {tuple(logits.shape)} and {tuple(labels.shape)}")


def sequence_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per real label position; labels equal to IGNORE_INDEX are skipped."""
    _check(logits, labels)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX)  # (B*T, V)


def token_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of real label positions whose argmax is right."""
    _check(logits, labels)
    real = labels != IGNORE_INDEX
    return ((logits.argmax(-1) == labels) & real).sum() / real.sum().clamp(min=1)


def exact_match(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of sequences whose every real label position is right."""
    _check(logits, labels)
    ok = (logits.argmax(-1) == labels) | (labels == IGNORE_INDEX)
    return ok.all(dim=1).float().mean()
