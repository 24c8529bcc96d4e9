"""Soft prompts and prefixes: prompt-tuning (Lester et al., 2021, "The Power of Scale for
Parameter-Efficient Prompt Tuning", EMNLP), P-tuning (Liu et al., 2021, "GPT Understands, Too",
arXiv:2103.10385), prefix-tuning (Li & Liang, 2021, "Prefix-Tuning: Optimizing Continuous Prompts
for Generation", ACL) and P-tuning v2 (Liu et al., 2022, "P-Tuning v2: Prompt Tuning Can Be
Comparable to Fine-tuning Universally Across Scales and Tasks", ACL).

- Prompt-tuning: ``P`` trainable vectors ``(P, E)`` inserted among the input embeddings; nothing
  else changes (:class:`SoftPrompt` in a :class:`PromptedModel`).
- P-tuning: the same place, but the vectors come out of a small *prompt encoder* (a bidirectional
  LSTM and an MLP) applied to ``P`` trainable inputs, which the paper found to train more stably
  (:class:`PromptEncoder`).
- Prefix-tuning: ``P`` trainable keys and values in front of every layer's attention; the prefix is
  produced by a reparameterisation MLP during training (dropped afterwards; :class:`PrefixEncoder`
  with ``reparameterize=True`` in a :class:`PrefixModel`).
- P-tuning v2: deep prompts, the same per-layer keys and values trained directly (no MLP), applied to
  understanding tasks with a classification head (``reparameterize=False``).

Shapes: ``B`` batch, ``T`` tokens, ``P`` prompt/prefix length, ``E`` model width, ``L`` layers.
"""

from __future__ import annotations

import torch
from torch import nn

from .attention import PeftAttention, split_qkv

__all__ = ["PrefixEncoder", "PrefixModel", "PromptEncoder", "PromptedModel", "SoftPrompt", "prefix_tuning"]


def _check_tokens(num_tokens: object) -> int:
    if not isinstance(num_tokens, int) or isinstance(num_tokens, bool) or num_tokens <= 0:
        raise ValueError(f"num_tokens must be a positive int, got {num_tokens!r}")
    return num_tokens


class SoftPrompt(nn.Module):
    """Lester et al.'s soft prompt: a trainable ``(P, E)`` matrix; ``forward() -> (P, E)``.

    Args:
        num_tokens: ``P``.
        dim: ``E``.
        init: ``(P, E)`` starting vectors; the paper's best start is the embeddings of real
            vocabulary tokens (its "sampled vocab" init). Default: ``N(0, 0.02^2)``.
    """

    def __init__(self, num_tokens: int, dim: int, init: torch.Tensor | None = None):
        super().__init__()
        P = _check_tokens(num_tokens)
        if init is not None and tuple(init.shape) != (P, dim):
            raise ValueError(f"init must have shape {(P, dim)}, got {tuple(init.shape)}")
        self.prompt = nn.Parameter(init.detach().clone() if init is not None else 0.02 * torch.randn(P, dim))

    def forward(self) -> torch.Tensor:
        return self.prompt                                           # (P, E)


class PromptEncoder(nn.Module):
    """P-tuning's prompt encoder: ``P`` trainable inputs ``(P, E)`` -> bidirectional LSTM -> two-layer
    MLP -> the prompt ``(P, E)``; ``kind="mlp"`` drops the LSTM. The LSTM ties the prompt vectors
    together (Liu et al. 2021, section 3.2). Only the output is needed at inference.

    Args:
        num_tokens: ``P``.
        dim: ``E``.
        hidden: the LSTM's and MLP's width (default ``E``).
        kind: ``"lstm"`` or ``"mlp"``.
    """

    def __init__(self, num_tokens: int, dim: int, hidden: int | None = None, kind: str = "lstm"):
        super().__init__()
        P = _check_tokens(num_tokens)
        if kind not in ("lstm", "mlp"):
            raise ValueError(f"kind must be 'lstm' or 'mlp', got {kind!r}")
        H = dim if hidden is None else hidden
        self.kind = kind
        self.inputs = nn.Parameter(torch.randn(P, dim))
        self.lstm = nn.LSTM(dim, H // 2, batch_first=True, bidirectional=True) if kind == "lstm" else None
        width = 2 * (H // 2) if kind == "lstm" else dim
        self.mlp = nn.Sequential(nn.Linear(width, H), nn.ReLU(), nn.Linear(H, dim))

    def forward(self) -> torch.Tensor:
        x = self.inputs[None]                                        # (1, P, E)
        if self.lstm is not None:
            x = self.lstm(x)[0]                                      # (1, P, 2 * (H // 2))
        return self.mlp(x)[0]                                        # (1, P, E) -> (P, E)


def _longer_cache(model: nn.Module, num_tokens: int, batch_size: int = 1, max_len: int | None = None,
                 dtype: torch.dtype | None = None):
    """``model.new_cache`` with room for ``num_tokens`` (``P``) positions in front of ``max_len`` real
    tokens (``model.config.max_seq_len`` when None): the cache of a model run behind a prompt or prefix."""
    return model.new_cache(batch_size, num_tokens + (max_len or model.config.max_seq_len), dtype)


def _real_start(cache, num_tokens: int, start_pos: int | None) -> int:
    """``start_pos`` counted in real tokens; None: what ``cache`` holds less the ``P`` prompt or prefix
    positions (0 for an empty cache). Raises on a negative ``start_pos``."""
    if start_pos is None:
        return max(cache.length - num_tokens, 0)
    if start_pos < 0:
        raise ValueError(f"start_pos must be >= 0, got {start_pos}")
    return start_pos


class PromptedModel(nn.Module):
    """A model of token ids with ``P`` soft tokens inserted at position ``insert_at`` of its input.

    ``forward(ids (B, T)) -> model(ids')`` where ``ids'`` ``(B, T + P)`` has ``P`` copies of
    ``slot_id`` at ``insert_at .. insert_at + P - 1``; a forward hook on ``embedding`` replaces
    their embeddings by ``prompt()`` ``(P, E)``. For BERT, ``insert_at=1`` keeps ``[CLS]`` first
    (its pooled vector feeds the head) and the prompt right after it, as in P-tuning's templates.
    The slot id must not be the padding id (padding is masked out of attention).

    A model with a key/value cache (:class:`dlbook.llm.Llama`) can decode through the wrapper with
    its cache: ``forward(ids, cache, start_pos)`` inserts the prompt at ``start_pos=0`` and shifts
    later positions by ``P``, and :attr:`new_cache` makes a cache ``P`` positions longer, so
    :func:`dlbook.llm.decoding.complete` reads each prompt once instead of re-running it per token.

    Args:
        model: takes ``ids (B, T)`` (e.g. a :class:`dlbook.bert.BertClassifier`); not frozen here.
        embedding: the ``nn.Embedding`` inside ``model`` that embeds the ids.
        prompt: a :class:`SoftPrompt` or :class:`PromptEncoder` (any module with ``forward() -> (P, E)``).
        slot_id: the token id the inserted slots carry before their embeddings are replaced.
        insert_at: where the prompt goes (0 = before everything).
    """

    def __init__(self, model: nn.Module, embedding: nn.Embedding, prompt: nn.Module, slot_id: int,
                 insert_at: int = 1):
        super().__init__()
        if not isinstance(embedding, nn.Embedding):
            raise TypeError(f"embedding must be an nn.Embedding, got {type(embedding).__name__}")
        if embedding.padding_idx is not None and slot_id == embedding.padding_idx:
            raise ValueError(f"slot_id {slot_id} is the padding id")
        self.model, self.prompt = model, prompt
        self.slot_id, self.insert_at = slot_id, insert_at
        self._active: torch.Tensor | None = None
        with torch.no_grad():
            self.num_tokens: int = prompt().shape[0]                 # P
        embedding.register_forward_hook(self._replace)

    @property
    def new_cache(self):
        """The wrapped model's ``new_cache(batch_size=1, max_len=None, dtype=None)``, with ``P`` more
        positions (``max_len`` counts the real tokens; None: ``model.config.max_seq_len``). Absent
        (``AttributeError``) when the model has no cache."""
        if not callable(getattr(self.model, "new_cache", None)):
            raise AttributeError(f"{type(self.model).__name__} has no new_cache")

        def new_cache(batch_size: int = 1, max_len: int | None = None, dtype: torch.dtype | None = None):
            return _longer_cache(self.model, self.num_tokens, batch_size, max_len, dtype)
        return new_cache

    def _replace(self, module: nn.Module, inputs: tuple, out: torch.Tensor) -> torch.Tensor | None:
        if self._active is None:                                     # the embedding used outside this wrapper
            return None
        p, i = self._active, self.insert_at                          # (P, E)
        P = p.shape[0]
        if p.shape[-1] != out.shape[-1]:
            raise ValueError(f"prompt width {p.shape[-1]} != embedding width {out.shape[-1]}")
        p = p.to(out.dtype).expand(out.shape[0], P, out.shape[-1])   # (B, P, E)
        return torch.cat([out[:, :i], p, out[:, i + P:]], dim=1)     # (B, T + P, E)

    def forward(self, ids: torch.Tensor, cache=None, start_pos: int | None = None) -> torch.Tensor:
        """``ids (B, T)`` -> ``model(ids')`` (``(B, T + P, ...)`` for an LM). With a ``cache`` (from
        :attr:`new_cache`), ``start_pos`` (default: what the cache holds, less ``P``) counts real
        tokens: at 0 the prompt is inserted; later ids are passed on at ``start_pos + P``."""
        extra: tuple = ()
        if cache is not None or start_pos is not None:
            if cache is None:
                raise ValueError(f"start_pos={start_pos} needs a cache holding the earlier positions")
            start_pos = _real_start(cache, self.num_tokens, start_pos)
            if start_pos > 0:
                return self.model(ids, cache, start_pos + self.num_tokens)  # after the prompt
            extra = (cache, 0)
        if ids.dim() != 2 or not 0 <= self.insert_at <= ids.shape[1]:
            raise ValueError(f"ids must be (B, T) with T >= insert_at={self.insert_at}, got {tuple(ids.shape)}")
        self._active = self.prompt()                                 # (P, E), computed once per batch
        B, P = ids.shape[0], self._active.shape[0]
        fill = torch.full((B, P), self.slot_id, dtype=ids.dtype, device=ids.device)
        ids = torch.cat([ids[:, :self.insert_at], fill, ids[:, self.insert_at:]], dim=1)  # (B, T + P)
        try:
            return self.model(ids, *extra)
        finally:
            self._active = None


class PrefixEncoder(nn.Module):
    """The per-layer prefix keys and values, ``forward() -> (L, 2, P, E)`` (``[:, 0]`` keys, ``[:, 1]`` values).

    With ``reparameterize`` (prefix-tuning, Li & Liang 2021, section 4.3): a smaller trainable matrix
    ``P' (P, E)`` goes through an MLP ``E -> hidden -> 2 L E`` (``tanh``); the paper found that
    optimising the prefix directly was unstable. Without it (P-tuning v2's deep prompts) the
    ``(L, 2, P, E)`` tensor is the parameter.

    Args:
        num_layers: ``L``.
        num_tokens: ``P``.
        dim: ``E``.
        reparameterize: use the MLP.
        hidden: the MLP's width (default ``E``).
        init: the starting prefix ``(L, 2, P, E)`` without ``reparameterize`` (default
            ``N(0, 0.1^2)``), e.g. the keys and values of real tokens
            (:func:`dlbook.peft.llama_prefix_from_tokens`).
    """

    def __init__(self, num_layers: int, num_tokens: int, dim: int, reparameterize: bool = True,
                 hidden: int | None = None, init: torch.Tensor | None = None):
        super().__init__()
        P = _check_tokens(num_tokens)
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers <= 0:
            raise ValueError(f"num_layers must be a positive int, got {num_layers!r}")
        self.shape = (num_layers, 2, P, dim)
        self.reparameterize = reparameterize
        if init is not None:
            if reparameterize:
                raise ValueError("init sets the prefix itself: use it with reparameterize=False")
            if tuple(init.shape) != self.shape:
                raise ValueError(f"init must have shape {self.shape}, got {tuple(init.shape)}")
        if reparameterize:
            H = dim if hidden is None else hidden
            self.inputs = nn.Parameter(torch.randn(P, dim))
            self.mlp = nn.Sequential(nn.Linear(dim, H), nn.Tanh(), nn.Linear(H, 2 * num_layers * dim))
        else:
            self.prefix = nn.Parameter(init.detach().clone().float() if init is not None else 0.1 * torch.randn(*self.shape))

    def forward(self) -> torch.Tensor:
        if not self.reparameterize:
            return self.prefix                                       # (L, 2, P, E)
        L, _, P, E = self.shape
        kv = self.mlp(self.inputs)                                   # (P, E) -> (P, 2 L E)
        return kv.reshape(P, L, 2, E).permute(1, 2, 0, 3)            # (P, L, 2, E) -> (L, 2, P, E)


class PrefixModel(nn.Module):
    """Runs ``model`` with a prefix from ``encoder`` in front of the keys and values of each of
    ``attentions`` (layer ``l`` gets ``encoder()[l]``). ``forward(*args)`` = ``model(*args)``.

    Built by :func:`prefix_tuning`. Each attention layer then attends to ``P + T`` keys; the
    output keeps its shape."""

    def __init__(self, model: nn.Module, attentions: list[PeftAttention], encoder: PrefixEncoder):
        super().__init__()
        if len(attentions) != encoder.shape[0]:
            raise ValueError(f"the encoder has {encoder.shape[0]} layers of prefixes for {len(attentions)} attention modules")
        self.model, self.encoder = model, encoder
        self._attentions = list(attentions)                          # not registered twice as submodules

    def forward(self, *args, **kwargs):
        kv = self.encoder()                                          # (L, 2, P, E)
        for l, attn in enumerate(self._attentions):
            attn.prefix = (kv[l, 0], kv[l, 1])                       # (P, E) each
        try:
            return self.model(*args, **kwargs)
        finally:
            for attn in self._attentions:
                attn.prefix = None


def prefix_tuning(model: nn.Module, num_tokens: int, reparameterize: bool = True, hidden: int | None = None,
                  within: nn.Module | None = None) -> PrefixModel:
    """Split the attention of ``within`` (default ``model``) into :class:`PeftAttention` s if needed,
    freeze ``within``, and return a :class:`PrefixModel` with a fresh :class:`PrefixEncoder`
    (prefix-tuning with ``reparameterize``, P-tuning v2 without). Unfreeze a task head afterwards
    if it lies inside ``within``.

    For a :class:`dlbook.llm.Llama` (``within`` None or the model itself) this returns
    :func:`dlbook.peft.llama_prefix_tuning`'s :class:`~dlbook.peft.LlamaPrefixModel` instead: the
    prefix goes into the model's key/value cache (grouped-query shapes, no RoPE on the prefix)."""
    from ..llm.model import Llama
    from .llama import llama_prefix_tuning

    if isinstance(model, Llama) and within in (None, model):
        return llama_prefix_tuning(model, num_tokens, reparameterize, hidden)
    within = model if within is None else within
    if isinstance(within, Llama) or any(isinstance(m, Llama) for m in within.modules()):
        raise ValueError("for a dlbook.llm.Llama call prefix_tuning(llama, ...) on the Llama itself, without within "
                         "(its prefix goes into the key/value cache: dlbook.peft.llama_prefix_tuning)")
    if not any(isinstance(m, PeftAttention) for m in within.modules()):
        split_qkv(within)
    attentions = [m for m in within.modules() if isinstance(m, PeftAttention)]
    within.requires_grad_(False)
    E = attentions[0].embed_dim
    device = attentions[0].q.weight.device
    return PrefixModel(model, attentions, PrefixEncoder(len(attentions), num_tokens, E, reparameterize, hidden).to(device))
