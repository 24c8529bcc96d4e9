"""Ablations of the LLaMA architecture: a :class:`~dlbook.llm.Llama` with one of its changes to
GPT undone, to measure what each change is worth at a given size.

``llama_variant(config, undo)`` builds ``Llama(config)`` and then swaps the parts that ``undo`` names
(``"rmsnorm"``, ``"rope"``, ``"swiglu"``, ``"no_bias"``; several may be given):

- ``"rmsnorm"``: every :class:`~dlbook.llm.RMSNorm` becomes a ``nn.LayerNorm`` without bias (the
  mean is subtracted again; the bias is the business of ``"no_bias"``);
- ``"rope"``: the attention gets no rotation (RoPE at position 0 is the identity, so the block is
  called with all positions 0) and learned absolute position embeddings are added to the token
  embeddings, as in GPT (:class:`LearnedPositions`);
- ``"swiglu"``: the SwiGLU network ``down(silu(gate x) * up x)`` with hidden width ``F`` becomes a
  two-matrix GELU network ``W_2 gelu(W_1 x)`` of width ``3F/2`` (the same parameter count, as GPT's);
- ``"no_bias"``: every linear layer gets a bias (initialised to zero).

Pre-norm is not among them: chapter 5's GPT (as GPT-2) is pre-norm already.
The variants train and evaluate like the Llama (``model(idx) -> logits``); the ``"rope"`` variant has
no key/value cache (it is for training and scoring whole windows).
"""

from __future__ import annotations

from typing import Iterable

import torch
import torch.nn.functional as F
from torch import nn

from .model import Llama, LlamaAttention, LlamaConfig

__all__ = ["ABLATIONS", "GELUMLP", "LearnedPositions", "llama_variant"]

ABLATIONS = ("rmsnorm", "rope", "swiglu", "no_bias")


class GELUMLP(nn.Module):
    """GPT's feed-forward network ``W_2 gelu(W_1 x)`` without biases: ``(B, T, E) -> (B, T, hidden) -> (B, T, E)``."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.up_proj = nn.Linear(dim, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dim, bias=False)
        for lin in (self.up_proj, self.down_proj):
            nn.init.normal_(lin.weight, std=0.02)                   # as Llama's linear layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.gelu(self.up_proj(x)))


class LearnedPositions(nn.Module):
    """Token embedding plus a learned embedding of the absolute position (GPT), in place of a
    Llama's ``embed_tokens``: ``(B, T) -> (B, T, E)``, positions ``0 .. T - 1``."""

    def __init__(self, tokens: nn.Embedding, max_len: int):
        super().__init__()
        self.tokens = tokens
        self.positions = nn.Embedding(max_len, tokens.embedding_dim)
        nn.init.normal_(self.positions.weight, std=0.02)

    @property
    def weight(self) -> torch.Tensor:                                 # Llama.new_cache reads embed_tokens.weight
        return self.tokens.weight

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        T = idx.shape[1]
        if T > self.positions.num_embeddings:
            raise ValueError(f"learned positions cover {self.positions.num_embeddings} positions, got T = {T}")
        return self.tokens(idx) + self.positions.weight[:T]          # (B, T, E) + (T, E)


class _NoRopeAttention(LlamaAttention):
    """Llama attention without rotation: every query and key is rotated as at position 0 (not at all)."""

    def forward(self, x, positions, cache=None, layer=0, start_pos=0):
        if cache is not None:
            raise ValueError("the variant without RoPE is for training and scoring whole windows, not for a cache")
        return super().forward(x, torch.zeros_like(positions), cache, layer, start_pos)


def _with_bias(lin: nn.Linear) -> nn.Linear:
    new = nn.Linear(lin.in_features, lin.out_features, bias=True)
    with torch.no_grad():
        new.weight.copy_(lin.weight)
        new.bias.zero_()
    return new


def llama_variant(config: LlamaConfig, undo: str | Iterable[str] = ()) -> Llama:
    """``Llama(config)`` with the changes named in ``undo`` reverted to GPT's choice (see the module).

    Args:
        config: the Llama's sizes.
        undo: one name or several from :data:`ABLATIONS`; empty gives the Llama itself.

    Returns:
        The model (a :class:`~dlbook.llm.Llama` with swapped submodules).
    """
    names = (undo,) if isinstance(undo, str) else tuple(undo)
    bad = [n for n in names if n not in ABLATIONS]
    if bad:
        raise ValueError(f"unknown ablation {bad}; choose from {ABLATIONS}")
    model = Llama(config)
    if "rmsnorm" in names:
        for block in model.layers:
            block.input_layernorm = nn.LayerNorm(config.dim, config.norm_eps, bias=False)
            block.post_attention_layernorm = nn.LayerNorm(config.dim, config.norm_eps, bias=False)
        model.norm = nn.LayerNorm(config.dim, config.norm_eps, bias=False)
    if "rope" in names:
        for block in model.layers:
            attn = _NoRopeAttention(config)
            attn.load_state_dict(block.self_attn.state_dict())
            block.self_attn = attn
        model.embed_tokens = LearnedPositions(model.embed_tokens, config.max_seq_len)
    if "swiglu" in names:
        for block in model.layers:
            block.mlp = GELUMLP(config.dim, 3 * config.ffn_hidden // 2)
    if "no_bias" in names:
        for module in list(model.modules()):
            for child_name, child in list(module.named_children()):
                if isinstance(child, nn.Linear) and child.bias is None:
                    setattr(module, child_name, _with_bias(child))
    return model
