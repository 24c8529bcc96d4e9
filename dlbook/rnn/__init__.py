"""Recurrent networks: cells from their equations, a character language model, seq2seq with attention.

- :mod:`~dlbook.rnn.cells`: ``RNNCell``, ``LSTMCell``, ``GRUCell`` (load torch's state dicts) and ``unroll``;
- :mod:`~dlbook.rnn.seq2seq`: ``Encoder``, ``BahdanauAttention``, ``Decoder``, ``Seq2Seq``;
- :mod:`~dlbook.rnn.lm`: ``CharLM`` and ``generate``;
- :mod:`~dlbook.rnn.metrics`: ``sequence_cross_entropy``, ``token_accuracy``, ``exact_match``.
"""

from __future__ import annotations

from .cells import GRUCell, LSTMCell, RNNCell, unroll
from .lm import CharLM, generate
from .seq2seq import BahdanauAttention, Decoder, Encoder, Seq2Seq
from .metrics import exact_match, sequence_cross_entropy, token_accuracy

__all__ = [
    "BahdanauAttention",
    "CharLM",
    "Decoder",
    "Encoder",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "Seq2Seq",
    "exact_match",
    "generate",
    "sequence_cross_entropy",
    "token_accuracy",
    "unroll",
]
