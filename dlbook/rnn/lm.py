"""A character language model and text generation (greedy or sampled with a temperature)."""

from __future__ import annotations

import torch
from torch import nn

from .. import decoding

__all__ = ["CharLM", "generate"]

_RNNS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class CharLM(nn.Module):
    """Embedding -> recurrent layers -> linear: next-character logits at every position.

    Args:
        vocab_size: ``V``.
        embed_size, hidden_size, num_layers: sizes.
        cell: ``"rnn"``, ``"lstm"`` or ``"gru"``.

    ``forward(x (B, T), state=None)`` returns logits ``(B, T, V)``; ``forward_with_state`` also
    returns the final state, to continue a text.
    """

    def __init__(self, vocab_size: int, embed_size: int = 32, hidden_size: int = 128, num_layers: int = 1, cell: str = "lstm"):
        super().__init__()
        if cell not in _RNNS:
            raise ValueError(f"cell must be one of {sorted(_RNNS)}, got {cell!r}")
        self.cell = cell
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.rnn = _RNNS[cell](embed_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.out = nn.Linear(hidden_size, vocab_size)

    def forward_with_state(self, x: torch.Tensor, state=None):
        if x.dim() != 2:
            raise ValueError(f"CharLM expects ids (B, T), got {tuple(x.shape)}")
        h, state = self.rnn(self.embed(x), state)                    # (B, T, H)
        return self.out(h), state                                     # (B, T, V)

    def forward(self, x: torch.Tensor, state=None) -> torch.Tensor:
        return self.forward_with_state(x, state)[0]


@torch.no_grad()
def generate(model: CharLM, prefix: torch.Tensor, length: int, temperature: float = 1.0,
             greedy: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
    """Continue ``prefix`` ``(T0,)`` by ``length`` ids, sampling from ``softmax(logits / temperature)``
    (or taking the argmax when ``greedy``). Returns the new ids ``(length,)``.

    Chapter 4's arguments for the course's one decoding loop, :func:`dlbook.decoding.generate`
    (the RNN's state carries the prefix: each step feeds one id)."""
    if prefix.dim() != 1 or len(prefix) == 0:
        raise ValueError(f"prefix must be a non-empty (T0,) tensor of ids, got {tuple(prefix.shape)}")
    if not greedy and temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    processors = [] if greedy else [decoding.Temperature(temperature)]
    return decoding.generate(model, prefix[None].long(), length, processors, greedy=greedy, generator=generator)[0]
