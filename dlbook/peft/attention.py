"""An attention module with separate query/key/value layers and an optional prefix, so that LoRA
can adapt ``W_q`` and ``W_v`` alone and prefix-tuning can prepend keys and values at every layer.

:class:`dlbook.attention.MultiHeadAttention` packs ``W_q; W_k; W_v`` into one ``in_proj_weight``
``(3E, E)`` (torch's layout). :class:`PeftAttention` is the same module with that matrix split into
three ``nn.Linear`` named ``q``, ``k``, ``v`` (Hu et al. 2021 name them ``W_q, W_k, W_v``); it
overrides only :meth:`project`, so the attention itself is the parent's code. :func:`split_qkv`
swaps it in for every attention module of a model, outputs unchanged.
"""

from __future__ import annotations

import torch
from torch import nn

from ..attention import MultiHeadAttention

__all__ = ["PeftAttention", "split_qkv"]


class PeftAttention(MultiHeadAttention):
    """:class:`~dlbook.attention.MultiHeadAttention` with ``q``, ``k``, ``v`` as separate
    ``nn.Linear(E, E)`` layers and an optional prefix of keys and values.

    Build it with :meth:`from_attention` (copies the weights; same output). While ``prefix`` is set
    to a pair ``(keys, values)``, each ``(P, E)`` or ``(B, P, E)`` (already projected: Li & Liang's
    prefix activations), every forward pass attends to ``P + T_k`` keys: the prefix first, then the
    sequence's own. Queries are unchanged, so the output keeps its shape ``(B, T_q, E)``; the key
    mask is extended with ``True`` for the prefix (it is never padding).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True, fused: bool = False):
        super().__init__(embed_dim, num_heads, dropout, bias, fused)
        del self.in_proj_weight, self.in_proj_bias                    # replaced by q, k, v below
        self.in_proj_weight = self.in_proj_bias = None
        self.q, self.k, self.v = (nn.Linear(embed_dim, embed_dim, bias=bias) for _ in range(3))
        self.prefix: tuple[torch.Tensor, torch.Tensor] | None = None

    @classmethod
    def from_attention(cls, mha: MultiHeadAttention) -> "PeftAttention":
        """The same attention with its packed in-projection split into ``q``, ``k``, ``v``."""
        if not isinstance(mha, MultiHeadAttention) or isinstance(mha, PeftAttention):
            raise TypeError(f"expected a dlbook.attention.MultiHeadAttention, got {type(mha).__name__}")
        bias = mha.in_proj_bias is not None
        new = cls(mha.embed_dim, mha.num_heads, mha.dropout, bias, mha.fused).to(mha.in_proj_weight.device)
        E = mha.embed_dim
        with torch.no_grad():
            for i, layer in enumerate((new.q, new.k, new.v)):
                layer.weight.copy_(mha.in_proj_weight[i * E:(i + 1) * E])  # (E, E) slice of (3E, E)
                if bias:
                    layer.bias.copy_(mha.in_proj_bias[i * E:(i + 1) * E])
            new.out_proj.load_state_dict(mha.out_proj.state_dict())
        new.out_proj.requires_grad_(mha.out_proj.weight.requires_grad)
        for layer in (new.q, new.k, new.v):
            layer.requires_grad_(mha.in_proj_weight.requires_grad)
        new.train(mha.training)
        return new

    def project(self, x: torch.Tensor, which: int) -> torch.Tensor:
        """``(B, T, E) -> (B, h, T, d)``; keys and values get the prefix in front: ``(B, h, P + T, d)``."""
        y = (self.q, self.k, self.v)[which](x)                       # (B, T, E)
        if which > 0 and self.prefix is not None:
            p = self.prefix[which - 1]                               # (P, E) or (B, P, E)
            p = p.expand(x.shape[0], *p.shape[-2:]) if p.dim() == 2 else p
            if p.shape[0] != x.shape[0] or p.shape[-1] != self.embed_dim:
                raise ValueError(f"prefix must be (P, {self.embed_dim}) or ({x.shape[0]}, P, {self.embed_dim}), "
                                 f"got {tuple(self.prefix[which - 1].shape)}")
            y = torch.cat([p, y], dim=1)                             # (B, P + T, E)
        return self.split_heads(y)

    def forward(
        self, query: torch.Tensor, key: torch.Tensor | None = None, value: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None, attn_mask: torch.Tensor | None = None,
        cache: dict[str, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """As :meth:`dlbook.attention.MultiHeadAttention.forward`; with a prefix the weights are
        ``(B, h, T_q, P + T_k)`` and ``key_mask`` / ``attn_mask`` still describe the ``T_k`` real keys."""
        if self.prefix is None:
            return super().forward(query, key, value, key_mask, attn_mask, cache)
        if cache is not None:
            raise ValueError("a prefix with a key/value cache is not supported (the prefix would be cached twice)")
        B, P = query.shape[0], self.prefix[0].shape[-2]
        if key_mask is not None:                                     # (B, T_k) -> (B, P + T_k)
            key_mask = torch.cat([torch.ones(B, P, dtype=torch.bool, device=key_mask.device), key_mask], dim=1)
        if attn_mask is not None:                                    # (..., T_q, T_k) -> (..., T_q, P + T_k)
            ones = torch.ones(*attn_mask.shape[:-1], P, dtype=torch.bool, device=attn_mask.device)
            attn_mask = torch.cat([ones, attn_mask], dim=-1)
        return super().forward(query, key, value, key_mask, attn_mask, None)


def split_qkv(model: nn.Module) -> list[str]:
    """Replace every :class:`~dlbook.attention.MultiHeadAttention` in ``model`` by the equivalent
    :class:`PeftAttention` (in place; outputs unchanged). Returns the names of the replaced modules."""
    names = [n for n, m in model.named_modules()
             if isinstance(m, MultiHeadAttention) and not isinstance(m, PeftAttention)]
    if not names:
        raise ValueError(f"{type(model).__name__} has no dlbook.attention.MultiHeadAttention to split")
    for n in names:
        parent_name, _, child = n.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, PeftAttention.from_attention(getattr(parent, child)))
    return names
