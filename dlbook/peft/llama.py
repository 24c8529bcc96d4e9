"""Parameter-efficient fine-tuning of chapter 10's mini LLaMA (:class:`dlbook.llm.Llama`).

LoRA, AdaLoRA, adapters and soft prompts need nothing model-specific: they wrap ``nn.Linear``
layers by name or hook the token embedding. The names are Hugging Face's (:data:`LLAMA_TARGETS`),
e.g. ``apply_lora(llama, ["q_proj", "v_proj"], r=4)`` or ``apply_adapters(llama, ["o_proj",
"down_proj"])`` (Houlsby's two places: after the attention's output projection and after the
feed-forward network). BitFit does not apply: a LLaMA has no biases
(:func:`dlbook.peft.apply_bitfit` says so).

Prefix-tuning (Li & Liang, 2021) and P-tuning v2 (Liu et al., 2022) need ``P`` trainable keys and
values in front of each layer's own. A :class:`dlbook.llm.Llama` already reads earlier keys and
values from its key/value cache, so :class:`LlamaPrefixModel` puts the prefix there, as positions
``0 .. P-1``, and runs the sequence from position ``P``. As in Hugging Face ``peft`` (which passes
the prefix as ``past_key_values``), the learned prefix keys get no rotary embedding: they are
free vectors, not the keys of tokens at some position. With grouped-query attention a layer has
``H_kv`` key/value heads of size ``D``, so the prefix is ``(L, 2, P, H_kv D)``.

Example (prefix-tuning a shipped date llama, then greedy decoding through the wrapper)::

    from dlbook import peft
    from dlbook.llm import date_llamas, decoding
    llama = date_llamas.load_date_llamas()[64]
    model = peft.prefix_tuning(llama, 8)              # a LlamaPrefixModel; the Llama is frozen
    logits = model(ids)                               # (B, T, V); gradients reach model.encoder only
    decoding.complete(model, prompts, 11, greedy=True)

Shapes: ``B`` batch, ``T`` tokens, ``P`` prefix length, ``L`` layers, ``H_kv`` key/value heads,
``D`` head size, ``V`` vocabulary.
"""

from __future__ import annotations

import torch
from torch import nn

from ..llm.model import KVCache, Llama
from .prompts import PrefixEncoder, _longer_cache, _real_start

__all__ = ["LLAMA_TARGETS", "LlamaPrefixModel", "llama_prefix_from_tokens", "llama_prefix_tuning"]

LLAMA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
"""The seven linear layers of a LLaMA block (attention, then the SwiGLU network), Hugging Face's names."""


class _PrefixCache:
    """A stand-in for :class:`~dlbook.llm.model.KVCache` during one differentiable forward pass:
    each layer's keys and values start as the prefix ``(B, H_kv, P, D)`` and the new ones are
    concatenated to them (a :class:`KVCache` writes in place into one preallocated buffer, which
    autograd cannot differentiate through once the next layer writes into it)."""

    def __init__(self, keys: list[torch.Tensor], values: list[torch.Tensor], max_len: int):
        self.k, self.v = list(keys), list(values)
        self.length, self.max_len, self.batch_size = keys[0].shape[2], max_len, keys[0].shape[0]

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor, start_pos: int) -> tuple[torch.Tensor, torch.Tensor]:
        if start_pos != self.k[layer].shape[2]:
            raise ValueError(f"expected start_pos {self.k[layer].shape[2]}, got {start_pos}")
        self.k[layer] = torch.cat([self.k[layer], k], dim=2)         # (B, H_kv, P + T, D)
        self.v[layer] = torch.cat([self.v[layer], v], dim=2)
        return self.k[layer], self.v[layer]


class LlamaPrefixModel(nn.Module):
    """A :class:`dlbook.llm.Llama` with a trained prefix of keys and values at every layer.

    ``forward(idx (B, T), cache=None, start_pos=None) -> logits (B, T, V)``: the same call as
    :meth:`Llama.forward`, with ``start_pos`` counted from the first real token (the prefix is not a
    token and has no logits). Every layer attends to the ``P`` prefix keys and then, causally, to the
    sequence's own; the sequence sits at positions ``P ..`` (RoPE), the prefix keys are not rotated.

    Without a cache (training, scoring) the prefix enters the graph, so gradients reach the
    :class:`~dlbook.peft.PrefixEncoder`. For decoding, :meth:`new_cache` gives a cache with ``P``
    more positions and the call at ``start_pos=0`` writes the prefix into it, so
    :func:`dlbook.llm.decoding.complete` and ``generate`` work on the wrapper unchanged (they run
    under ``torch.no_grad()``; a cache is refused while gradients are recorded).

    Args:
        model: the :class:`~dlbook.llm.Llama` (frozen by :func:`llama_prefix_tuning`, not here).
        encoder: a :class:`~dlbook.peft.PrefixEncoder` of shape ``(L, 2, P, H_kv D)``, e.g.
            ``PrefixEncoder(config.n_layers, P, config.n_kv_heads * config.head_dim)``.

    Raises:
        TypeError: ``model`` is not a :class:`~dlbook.llm.Llama`.
        ValueError: the encoder's shape does not fit the model.
    """

    def __init__(self, model: Llama, encoder: PrefixEncoder):
        super().__init__()
        if not isinstance(model, Llama):
            raise TypeError(f"LlamaPrefixModel needs a dlbook.llm.Llama, got {type(model).__name__}")
        if not isinstance(encoder, PrefixEncoder):
            raise TypeError(f"encoder must be a dlbook.peft.PrefixEncoder, got {type(encoder).__name__}")
        c = model.config
        want = (c.n_layers, 2, encoder.shape[2], c.n_kv_heads * c.head_dim)
        if tuple(encoder.shape) != want:
            raise ValueError(f"the prefix encoder gives {tuple(encoder.shape)}; this Llama needs (L, 2, P, H_kv * D) = "
                             f"{want} ({c.n_layers} layers, {c.n_kv_heads} key/value heads of size {c.head_dim})")
        self.model, self.encoder = model, encoder

    @property
    def config(self):
        """The wrapped model's :class:`~dlbook.llm.LlamaConfig`."""
        return self.model.config

    @property
    def num_tokens(self) -> int:
        """``P``, the prefix length."""
        return self.encoder.shape[2]

    def prefix(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The prefix keys and values as a layer's attention reads them: two ``(L, B, H_kv, P, D)``
        tensors (expanded over the batch, not copied)."""
        c = self.model.config
        L, P, H_kv, D = c.n_layers, self.num_tokens, c.n_kv_heads, c.head_dim
        kv = self.encoder().reshape(L, 2, P, H_kv, D).transpose(2, 3)   # (L, 2, P, H_kv*D) -> (L, 2, H_kv, P, D)
        kv = kv[:, :, None].expand(L, 2, batch_size, H_kv, P, D)     # (L, 2, B, H_kv, P, D)
        return kv[:, 0], kv[:, 1]

    def new_cache(self, batch_size: int = 1, max_len: int | None = None, dtype: torch.dtype | None = None) -> KVCache:
        """A :class:`~dlbook.llm.model.KVCache` for ``batch_size`` sequences of up to ``max_len``
        tokens (``config.max_seq_len`` when None) after the ``P`` prefix positions."""
        return _longer_cache(self.model, self.num_tokens, batch_size, max_len, dtype)

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None, start_pos: int | None = None) -> torch.Tensor:
        if idx.dim() != 2:
            raise ValueError(f"LlamaPrefixModel expects integer ids (B, T), got {tuple(idx.shape)}")
        B, T = idx.shape
        P = self.num_tokens
        if cache is None:
            if start_pos not in (None, 0):
                raise ValueError(f"start_pos={start_pos} needs a cache holding the earlier positions")
            keys, values = self.prefix(B)                            # (L, B, H_kv, P, D) each
            return self.model(idx, _PrefixCache(list(keys), list(values), P + T), P)
        if torch.is_grad_enabled() and any(p.requires_grad for p in self.parameters()):
            raise RuntimeError("a KVCache is for decoding: call under torch.no_grad() (dlbook.llm.decoding does), "
                               "or train without a cache (the prefix then stays in the graph)")
        start_pos = _real_start(cache, P, start_pos)
        if start_pos == 0:                                           # a new sequence: (re)write the prefix
            if cache.max_len < P + T or cache.batch_size != B:
                raise ValueError(f"the cache holds {cache.batch_size} sequences of {cache.max_len} positions; a batch of "
                                 f"{B} needs {P} + {T}: make it with LlamaPrefixModel.new_cache")
            keys, values = self.prefix(B)
            cache.k[:, :, :, :P] = keys.to(cache.k.dtype)
            cache.v[:, :, :, :P] = values.to(cache.v.dtype)
            cache.length = P
        elif cache.length < P:
            raise ValueError(f"the cache holds {cache.length} positions, not the prefix of {P}: start at start_pos=0")
        return self.model(idx, cache, P + start_pos)


@torch.no_grad()
def llama_prefix_from_tokens(model: Llama, ids: torch.Tensor) -> torch.Tensor:
    """The keys and values the frozen ``model`` computes for the tokens ``ids`` ``(P,)`` at positions
    ``0 .. P-1``, shaped as a prefix ``(L, 2, P, H_kv D)``: Li & Liang's initialisation of the prefix
    with "activations of real words" (section 7.2), which they found better than random for
    generation. Pass it as ``PrefixEncoder(..., reparameterize=False, init=...)``."""
    if not isinstance(model, Llama):
        raise TypeError(f"expected a dlbook.llm.Llama, got {type(model).__name__}")
    if ids.dim() != 1 or ids.numel() == 0:
        raise ValueError(f"ids must be a non-empty (P,) tensor of token ids, got shape {tuple(ids.shape)}")
    P = ids.numel()
    cache = model.new_cache(1, P)
    model(ids[None].to(model.embed_tokens.weight.device), cache)
    k, v = cache.k[:, 0, :, :P], cache.v[:, 0, :, :P]               # (L, H_kv, P, D) each
    kv = torch.stack([k, v], dim=1).transpose(2, 3)                 # (L, 2, P, H_kv, D)
    return kv.reshape(*kv.shape[:3], -1).clone()                    # (L, 2, P, H_kv*D)


def llama_prefix_tuning(model: Llama, num_tokens: int, reparameterize: bool = True, hidden: int | None = None,
                        init: torch.Tensor | None = None) -> LlamaPrefixModel:
    """Freeze ``model`` and return a :class:`LlamaPrefixModel` with a fresh
    :class:`~dlbook.peft.PrefixEncoder` of ``num_tokens`` positions: prefix-tuning with
    ``reparameterize`` (the MLP of width ``hidden``), P-tuning v2 without.

    Args:
        model: a :class:`~dlbook.llm.Llama`.
        num_tokens: ``P``.
        reparameterize, hidden: as for :class:`~dlbook.peft.PrefixEncoder`.
        init: the starting prefix ``(L, 2, P, H_kv D)`` (without ``reparameterize`` only), e.g.
            :func:`llama_prefix_from_tokens`.
    """
    if not isinstance(model, Llama):
        raise TypeError(f"llama_prefix_tuning needs a dlbook.llm.Llama, got {type(model).__name__}")
    c = model.config
    model.requires_grad_(False)
    encoder = PrefixEncoder(c.n_layers, num_tokens, c.n_kv_heads * c.head_dim, reparameterize, hidden, init=init)
    return LlamaPrefixModel(model, encoder.to(model.embed_tokens.weight.device))
