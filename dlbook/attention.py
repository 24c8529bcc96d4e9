"""Scaled dot-product attention, masks, multi-head attention and positional encodings.

Vaswani et al. (2017), "Attention is all you need": ``Attention(Q, K, V) = softmax(Q K^T / sqrt(d)) V``.
Shapes: ``B`` batch, ``h`` heads, ``T_q`` / ``T_k`` query and key lengths, ``d`` the size of one
query/key, ``E`` the model width (``E = h * d``).

Masks are boolean in torch's convention for ``F.scaled_dot_product_attention``: **True = may
attend**. (``nn.MultiheadAttention``'s ``attn_mask`` and ``key_padding_mask`` use the opposite
convention, True = blocked; :meth:`MultiHeadAttention.forward` takes the course's convention.)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "MultiHeadAttention",
    "LearnedPositionalEmbedding",
    "SinusoidalPositionalEncoding",
    "causal_mask",
    "padding_mask",
    "scaled_dot_product_attention",
    "sinusoidal_encoding",
]


def _check_mask(mask: torch.Tensor, target: tuple[int, ...]) -> None:
    if mask.dtype != torch.bool:
        raise TypeError(f"mask must be a boolean tensor (True = may attend), got {mask.dtype}")
    try:
        shape = torch.broadcast_shapes(mask.shape, target)
    except RuntimeError:
        shape = None
    if shape != torch.Size(target):
        raise ValueError(f"mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape {target}")


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
    dropout_p: float = 0.0, training: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``softmax(q k^T / sqrt(d) + mask) v`` written out (Vaswani et al., 2017, eq. 1).

    Args:
        q: queries ``(..., T_q, d)``.
        k: keys ``(..., T_k, d)``.
        v: values ``(..., T_k, d_v)``.
        mask: boolean, True = may attend, broadcastable to ``(..., T_q, T_k)`` (e.g. ``(T_q, T_k)``
            for a causal mask or ``(B, 1, 1, T_k)`` for padding). A query row must keep at least one key.
        dropout_p: dropout on the attention weights (only when ``training``).

    Returns:
        ``(output (..., T_q, d_v), weights (..., T_q, T_k))``; each row of ``weights`` sums to 1.
    """
    if q.dim() < 2 or k.dim() < 2 or v.dim() < 2:
        raise ValueError(f"q, k, v need at least 2 dims (..., T, d), got {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must share their last dim d, got q {tuple(q.shape)} and k {tuple(k.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same length T_k, got k {tuple(k.shape)} and v {tuple(v.shape)}")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])       # (..., T_q, d) @ (..., d, T_k) -> (..., T_q, T_k)
    if mask is not None:
        _check_mask(mask, tuple(scores.shape))
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)                          # (..., T_q, T_k)
    if dropout_p > 0 and training:
        weights = F.dropout(weights, dropout_p)
    return weights @ v, weights                                      # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)


def causal_mask(T_q: int, T_k: int | None = None, device: torch.device | str | None = None) -> torch.Tensor:
    """``(T_q, T_k)`` boolean mask, True where key ``j <= i + (T_k - T_q)``: query ``i`` sees itself
    and the past. With ``T_k > T_q`` (new queries after cached keys) the queries are the last ``T_q``
    positions."""
    T_k = T_q if T_k is None else T_k
    if T_k < T_q:
        raise ValueError(f"a causal mask needs T_k >= T_q, got T_q={T_q}, T_k={T_k}")
    return torch.ones(T_q, T_k, dtype=torch.bool, device=device).tril(diagonal=T_k - T_q)


def padding_mask(key_mask: torch.Tensor) -> torch.Tensor:
    """A ``(B, T_k)`` mask of real tokens (True = real) as ``(B, 1, 1, T_k)``, broadcastable to the
    scores ``(B, h, T_q, T_k)``: no query attends to padding."""
    if key_mask.dim() != 2 or key_mask.dtype != torch.bool:
        raise ValueError(f"key_mask must be boolean (B, T_k), got {key_mask.dtype} {tuple(key_mask.shape)}")
    return key_mask[:, None, None, :]                                # (B, T_k) -> (B, 1, 1, T_k)


class MultiHeadAttention(nn.Module):
    """Multi-head attention, split -> attend -> merge (Vaswani et al., 2017, section 3.2.2).

    The parameters have the names and layout of ``torch.nn.MultiheadAttention``
    (``in_proj_weight`` ``(3E, E)`` holding ``W_q; W_k; W_v``, ``in_proj_bias`` ``(3E,)``,
    ``out_proj``), so :meth:`load_torch` copies a torch module's weights.

    Args:
        embed_dim: ``E``.
        num_heads: ``h``; ``E`` must be divisible by ``h``.
        dropout: dropout on the attention weights.
        bias: biases on the projections.
        fused: compute the attention with ``F.scaled_dot_product_attention`` (no weights returned)
            instead of the explicit :func:`scaled_dot_product_attention`.

    Attributes:
        last_weights: the weights ``(B, h, T_q, T_k)`` of the last explicit forward pass (detached).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True, fused: bool = False):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(f"embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.fused = dropout, fused
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)                 # torch's initialisation
        if bias:
            nn.init.zeros_(self.out_proj.bias)
        self.last_weights: torch.Tensor | None = None

    def load_torch(self, mha: nn.MultiheadAttention) -> "MultiHeadAttention":
        """Copy the weights of a ``torch.nn.MultiheadAttention`` (same ``E``, ``h``; packed in-projection)."""
        if mha.embed_dim != self.embed_dim or mha.num_heads != self.num_heads:
            raise ValueError(f"need embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                             f"got {mha.embed_dim}, {mha.num_heads}")
        self.load_state_dict(mha.state_dict())
        return self

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, E) -> (B, h, T, d)``."""
        B, T, _ = x.shape
        return x.reshape(B, T, self.num_heads, self.head_dim).transpose(1, 2)  # (B, T, h, d) -> (B, h, T, d)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, h, T, d) -> (B, T, E)``."""
        B, _, T, _ = x.shape
        return x.transpose(1, 2).reshape(B, T, self.embed_dim)       # (B, T, h, d) -> (B, T, E)

    def project(self, x: torch.Tensor, which: int) -> torch.Tensor:
        """The ``which``-th input projection (0 = query, 1 = key, 2 = value) of ``x`` ``(B, T, E)``, split into heads."""
        E = self.embed_dim
        w = self.in_proj_weight[which * E:(which + 1) * E]           # (E, E)
        b = None if self.in_proj_bias is None else self.in_proj_bias[which * E:(which + 1) * E]
        return self.split_heads(F.linear(x, w, b))                   # (B, T, E) -> (B, h, T, d)

    def forward(
        self, query: torch.Tensor, key: torch.Tensor | None = None, value: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None, attn_mask: torch.Tensor | None = None,
        cache: dict[str, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Attend from ``query`` to ``key``/``value`` (self-attention when they are None).

        Args:
            query: ``(B, T_q, E)``.
            key, value: ``(B, T_k, E)``.
            key_mask: ``(B, T_k)`` boolean, True = a real token (padding is never attended to).
            attn_mask: boolean, True = may attend, broadcastable to ``(B, h, T_q, T_k)`` (e.g. a
                ``(T_q, T_k)`` causal mask).
            cache: for step-by-step decoding of self-attention: a dict that keeps the keys and values
                ``(B, h, T_past, d)`` of earlier calls; the new ones are appended and all are used.

        Returns:
            ``(output (B, T_q, E), weights (B, h, T_q, T_k))``; ``weights`` is None when ``fused``.
        """
        key = query if key is None else key
        value = key if value is None else value
        if query.dim() != 3 or query.shape[-1] != self.embed_dim:
            raise ValueError(f"query must have shape (B, T_q, {self.embed_dim}), got {tuple(query.shape)}")
        if key.dim() != 3 or key.shape[0] != query.shape[0] or key.shape[-1] != self.embed_dim or value.shape != key.shape:
            raise ValueError(f"key and value must have shape ({query.shape[0]}, T_k, {self.embed_dim}), "
                             f"got {tuple(key.shape)} and {tuple(value.shape)}")
        q, k, v = self.project(query, 0), self.project(key, 1), self.project(value, 2)  # (B, h, T, d) each
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=2)                # (B, h, T_past + T_k, d)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        B, T_q, T_k = query.shape[0], query.shape[1], k.shape[2]
        mask = None
        if key_mask is not None:
            if key_mask.shape != (B, T_k) or key_mask.dtype != torch.bool:
                raise ValueError(f"key_mask must be boolean of shape {(B, T_k)}, got {key_mask.dtype} {tuple(key_mask.shape)}")
            mask = padding_mask(key_mask)                            # (B, 1, 1, T_k)
        if attn_mask is not None:
            _check_mask(attn_mask, (B, self.num_heads, T_q, T_k))
            mask = attn_mask if mask is None else mask & attn_mask   # broadcasts to (B, h, T_q, T_k)
        p = self.dropout if self.training else 0.0
        if self.fused:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)  # (B, h, T_q, d)
            weights = None
        else:
            out, weights = scaled_dot_product_attention(q, k, v, mask, p, self.training)  # (B, h, T_q, d)
            self.last_weights = weights.detach()
        return self.out_proj(self.merge_heads(out)), weights         # (B, T_q, E)


def sinusoidal_encoding(max_len: int, d_model: int) -> torch.Tensor:
    """The fixed positional encoding of Vaswani et al. (2017, section 3.5), ``(max_len, d_model)``:
    ``PE[p, 2i] = sin(p / 10000^(2i/d))``, ``PE[p, 2i+1] = cos(p / 10000^(2i/d))``."""
    if d_model % 2:
        raise ValueError(f"d_model must be even, got {d_model}")
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]        # (L, 1)
    freq = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)  # (d/2,)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * freq)                              # (L, d/2)
    pe[:, 1::2] = torch.cos(pos * freq)
    return pe.float()


class SinusoidalPositionalEncoding(nn.Module):
    """Adds :func:`sinusoidal_encoding` to ``x`` ``(B, T, E)`` (no parameters)."""

    def __init__(self, d_model: int, max_len: int = 512):
        super().__init__()
        self.register_buffer("pe", sinusoidal_encoding(max_len, d_model), persistent=False)

    def forward(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        if x.dim() != 3 or x.shape[-1] != self.pe.shape[1] or start + x.shape[1] > self.pe.shape[0]:
            raise ValueError(f"expected (B, T, {self.pe.shape[1]}) with start + T <= {self.pe.shape[0]}, "
                             f"got {tuple(x.shape)} at start {start}")
        return x + self.pe[start:start + x.shape[1]]                 # (B, T, E) + (T, E)


class LearnedPositionalEmbedding(nn.Module):
    """Adds a learned vector per position (as in GPT and BERT) to ``x`` ``(B, T, E)``."""

    def __init__(self, d_model: int, max_len: int = 512):
        super().__init__()
        self.embed = nn.Embedding(max_len, d_model)
        nn.init.normal_(self.embed.weight, std=0.02)

    def forward(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        L, E = self.embed.weight.shape
        if x.dim() != 3 or x.shape[-1] != E or start + x.shape[1] > L:
            raise ValueError(f"expected (B, T, {E}) with start + T <= {L}, got {tuple(x.shape)} at start {start}")
        return x + self.embed(torch.arange(start, start + x.shape[1], device=x.device))  # (B, T, E) + (T, E)
