"""Deprecated: the sequence losses and metrics moved to :mod:`dlbook.rnn.metrics` (the module
holds no training code). This alias keeps old notebooks working and will be removed in a later
release; import from ``dlbook.rnn`` or ``dlbook.rnn.metrics`` instead."""

from __future__ import annotations

import warnings

from .metrics import exact_match, sequence_cross_entropy, token_accuracy

__all__ = ["exact_match", "sequence_cross_entropy", "token_accuracy"]

warnings.warn("dlbook.rnn.training is deprecated: import from dlbook.rnn.metrics (or dlbook.rnn)",
              DeprecationWarning, stacklevel=2)
