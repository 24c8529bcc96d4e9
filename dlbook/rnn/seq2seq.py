"""Encoder-decoder (sequence-to-sequence) models with additive attention.

Sutskever, Vinyals & Le (2014) and Cho et al. (2014) encode the source into a vector and decode
from it; Bahdanau, Cho & Bengio (2015) let the decoder look back at every encoder state through
additive attention. Shapes: ``B`` batch, ``S`` source length, ``T`` target length, ``H`` hidden size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .. import decoding
from ..utils import eval_mode

__all__ = ["BahdanauAttention", "Decoder", "Encoder", "Seq2Seq"]


def _check_ids_mask(ids: torch.Tensor, mask: torch.Tensor, what: str) -> None:
    if ids.dim() != 2:
        raise ValueError(f"{what} ids must have shape (B, S), got {tuple(ids.shape)}")
    if mask.shape != ids.shape or mask.dtype != torch.bool:
        raise ValueError(f"{what} mask must be boolean of shape {tuple(ids.shape)}, got {mask.dtype} {tuple(mask.shape)}")
    if not mask[:, 0].all():
        raise ValueError(f"every {what} sequence needs at least one real token (mask[:, 0] all True)")


class Encoder(nn.Module):
    """Embedding + a (bidirectional) GRU over padded sequences.

    Args:
        vocab_size, embed_size, hidden_size: sizes; each direction has ``hidden_size`` units.
        bidirectional: read the source both ways (Schuster & Paliwal, 1997) and concatenate.
        pad_id: the padding id (its embedding stays zero).

    ``forward(src (B, S), src_mask (B, S))`` returns ``outputs`` ``(B, S, D)`` with
    ``D = hidden_size * directions`` (zeros at padded steps) and ``final`` ``(B, D)``, the
    last state of each direction (after the last real token going forward, after the first going
    backward).
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, bidirectional: bool = True, pad_id: int = 0):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_size, padding_idx=pad_id)
        self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True, bidirectional=bidirectional)
        self.output_size = hidden_size * (2 if bidirectional else 1)

    def forward(self, src: torch.Tensor, src_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_ids_mask(src, src_mask, "source")
        lengths = src_mask.sum(1).cpu()
        packed = pack_padded_sequence(self.embed(src), lengths, batch_first=True, enforce_sorted=False)
        out, h_n = self.rnn(packed)                                   # h_n: (directions, B, H)
        outputs, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])  # (B, S, D)
        final = h_n.transpose(0, 1).reshape(src.shape[0], -1)        # (B, directions * H)
        return outputs, final


class BahdanauAttention(nn.Module):
    """Additive attention (Bahdanau, Cho & Bengio, 2015).

    ``score(q, k_s) = v^T tanh(W_q q + W_k k_s)``; the weights are a softmax of the scores over the
    real source positions, and the context is the weighted sum of the keys.

    Args:
        query_size: size of the query (the decoder's previous hidden state).
        key_size: size of each encoder output.
        attention_size: size of the hidden layer of the score.

    ``forward(query (B, Q), keys (B, S, K), mask (B, S))`` returns ``(context (B, K), weights (B, S))``.
    Pass ``projected_keys = attention.project_keys(keys)`` to reuse ``W_k k`` over decoding steps.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int):
        super().__init__()
        self.query_size, self.key_size = query_size, key_size
        self.W_q = nn.Linear(query_size, attention_size, bias=False)
        self.W_k = nn.Linear(key_size, attention_size)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        return self.W_k(keys)                                         # (B, S, A)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor, projected_keys: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if query.dim() != 2 or query.shape[1] != self.query_size:
            raise ValueError(f"query must have shape (B, {self.query_size}), got {tuple(query.shape)}")
        if keys.dim() != 3 or keys.shape[0] != query.shape[0] or keys.shape[2] != self.key_size:
            raise ValueError(f"keys must have shape ({query.shape[0]}, S, {self.key_size}), got {tuple(keys.shape)}")
        if mask.shape != keys.shape[:2]:
            raise ValueError(f"mask must have shape {tuple(keys.shape[:2])}, got {tuple(mask.shape)}")
        pk = self.project_keys(keys) if projected_keys is None else projected_keys
        scores = self.v(torch.tanh(self.W_q(query)[:, None, :] + pk)).squeeze(-1)  # (B, 1, A) + (B, S, A) -> (B, S)
        weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)  # (B, S)
        context = torch.bmm(weights[:, None, :], keys).squeeze(1)    # (B, 1, S) @ (B, S, K) -> (B, K)
        return context, weights


class Decoder(nn.Module):
    """A GRU decoder that reads ``[embedding of the previous token, context]`` at each step.

    With attention, the context at step ``i`` is computed from the previous hidden state
    ``s_{i-1}`` (Bahdanau et al., 2015); without it, the context is the encoder's final state at
    every step (Cho et al., 2014). The initial state is ``tanh(W_init final)``.

    Args:
        vocab_size, embed_size, hidden_size: sizes of the target side.
        context_size: size of the encoder outputs (``Encoder.output_size``).
        attention: use Bahdanau attention.
        attention_size: size of the attention's hidden layer (``hidden_size`` when None).
    """

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, context_size: int,
                 attention: bool = True, attention_size: int | None = None):
        super().__init__()
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.init = nn.Linear(context_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size, context_size, attention_size or hidden_size) if attention else None
        self.cell = nn.GRUCell(embed_size + context_size, hidden_size)
        self.out = nn.Linear(hidden_size + context_size + embed_size, vocab_size)

    def start(self, outputs: torch.Tensor, final: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The initial state ``(B, H)`` and, with attention, the projected keys ``(B, S, A)``."""
        pk = self.attention.project_keys(outputs) if self.attention is not None else None
        return torch.tanh(self.init(final)), pk

    def step(self, prev: torch.Tensor, h: torch.Tensor, outputs: torch.Tensor, final: torch.Tensor,
             src_mask: torch.Tensor, pk: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoding step from the previous tokens ``(B,)``: returns logits ``(B, V)``, the new
        state ``(B, H)`` and the attention weights ``(B, S)`` (None without attention)."""
        e = self.embed(prev)                                          # (B, E)
        if self.attention is not None:
            context, weights = self.attention(h, outputs, src_mask, pk)  # from s_{i-1}
        else:
            context, weights = final, None
        h = self.cell(torch.cat([e, context], dim=1), h)              # (B, E + D) -> (B, H)
        logits = self.out(torch.cat([h, context, e], dim=1))          # (B, H + D + E) -> (B, V)
        return logits, h, weights


class Seq2Seq(nn.Module):
    """Encoder + decoder, trained with teacher forcing and decoded greedily.

    ``forward(src (B, S), src_mask (B, S), tgt_in (B, T))`` returns logits ``(B, T, V)``: the
    decoder reads the true previous token at every step (teacher forcing).
    """

    def __init__(self, encoder: Encoder, decoder: Decoder):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, src: torch.Tensor, src_mask: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        if tgt_in.dim() != 2 or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"tgt_in must have shape ({src.shape[0]}, T), got {tuple(tgt_in.shape)}")
        outputs, final = self.encoder(src, src_mask)
        h, pk = self.decoder.start(outputs, final)
        logits = []
        for t in range(tgt_in.shape[1]):
            step_logits, h, _ = self.decoder.step(tgt_in[:, t], h, outputs, final, src_mask, pk)
            logits.append(step_logits)
        return torch.stack(logits, dim=1)                             # (B, T, V)

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, src_mask: torch.Tensor, max_len: int, bos_id: int = 1,
                      eos_id: int = 2) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Decode without teacher forcing: feed back the most likely token at each step.

        Returns ids ``(B, max_len)`` (positions after ``<eos>`` hold ``eos_id``) and the attention
        weights ``(B, max_len, S)`` (None without attention). The loop is the course's one greedy
        loop, :func:`dlbook.decoding.greedy_decode` (the model runs in eval mode, then gets its mode back).
        """
        attn = []
        with eval_mode(self):
            outputs, final = self.encoder(src, src_mask)             # start: encode, the decoder's first state
            h, pk = self.decoder.start(outputs, final)

            def step(prev: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                logits, h, weights = self.decoder.step(prev, h, outputs, final, src_mask, pk)  # (B, V), (B, H), (B, S)
                if weights is not None:
                    attn.append(weights)
                return logits, h

            ids = decoding.greedy_decode(step, h, src.shape[0], max_len, bos_id, eos_id, device=src.device)
        return ids, (torch.stack(attn, dim=1) if attn else None)
