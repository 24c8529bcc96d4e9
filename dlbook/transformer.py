"""Transformer blocks, stacks, an encoder-decoder model and a decoder-only (GPT-style) language model.

Vaswani et al. (2017) put LayerNorm after each residual sum (post-LN): ``x = LN(x + F(x))``.
Xiong et al. (2020) show that putting it inside the branch (pre-LN): ``x = x + F(LN(x))`` keeps the
gradients at initialisation of the same size in every layer, so pre-LN trains without a long
warm-up; GPT-2 (Radford et al., 2019) and most later models use it. ``pre_norm`` picks either.

The layers use the parameter names of ``torch.nn.TransformerEncoderLayer`` and
``TransformerDecoderLayer`` (``self_attn``, ``multihead_attn``, ``linear1``, ``linear2``,
``norm1..3``), so ``load_state_dict`` from torch's layers proves the equivalence (see the tests).
Shapes: ``B`` batch, ``S`` source length, ``T`` target length, ``E`` = ``d_model``, ``V`` vocabulary.
Masks are boolean, True = may attend / real token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from . import decoding
from .attention import LearnedPositionalEmbedding, MultiHeadAttention, SinusoidalPositionalEncoding, causal_mask
from .utils import check_positive_int, eval_mode

__all__ = [
    "DecoderLayer",
    "DecoderOnlyLM",
    "EncoderDecoder",
    "EncoderLayer",
    "EncoderOutput",
    "TransformerConfig",
    "TransformerDecoder",
    "TransformerEncoder",
    "generate",
    "warmup_scheduler",
]


_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


@dataclass
class TransformerConfig:
    """Sizes of a Transformer.

    Args:
        d_model: ``E``, the width of every position's vector.
        num_heads: attention heads (``d_model % num_heads == 0``).
        d_ff: hidden width of the position-wise feed-forward network (the paper: ``4 * d_model``).
        num_layers: encoder layers (and decoder layers unless ``num_decoder_layers`` is set).
        num_decoder_layers: decoder layers, ``num_layers`` when None.
        dropout: dropout on attention weights, sublayer outputs and embeddings.
        pre_norm: pre-LN (Xiong et al., 2020) when True, post-LN (Vaswani et al., 2017) when False.
        max_len: the longest sequence the position encoding covers.
        positions: ``"sinusoidal"`` (fixed) or ``"learned"``.
        fused: attention through ``F.scaled_dot_product_attention`` (no weights kept).
        activation: the FFN's non-linearity, ``"relu"`` (the paper) or ``"gelu"`` (GPT, BERT).
        norm_eps: LayerNorm's epsilon (torch's default 1e-5; BERT uses 1e-12).
    """

    d_model: int = 64
    num_heads: int = 4
    d_ff: int = 256
    num_layers: int = 2
    num_decoder_layers: int | None = None
    dropout: float = 0.1
    pre_norm: bool = True
    max_len: int = 256
    positions: str = "sinusoidal"
    fused: bool = False
    activation: str = "relu"
    norm_eps: float = 1e-5

    def __post_init__(self) -> None:
        for name in ("d_model", "num_heads", "d_ff", "num_layers", "max_len"):
            check_positive_int(name, getattr(self, name))
        if self.num_decoder_layers is not None:
            check_positive_int("num_decoder_layers", self.num_decoder_layers)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not self.norm_eps > 0:
            raise ValueError(f"norm_eps must be > 0, got {self.norm_eps}")
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {self.activation!r}")
        if self.d_model % self.num_heads:
            raise ValueError(f"d_model {self.d_model} must be divisible by num_heads {self.num_heads}")
        if self.positions not in ("sinusoidal", "learned"):
            raise ValueError(f"positions must be 'sinusoidal' or 'learned', got {self.positions!r}")


def _check_input(x: torch.Tensor, E: int, what: str) -> None:
    if x.dim() != 3 or x.shape[-1] != E:
        raise ValueError(f"{what} must have shape (B, T, {E}), got {tuple(x.shape)}")


class EncoderLayer(nn.Module):
    """Self-attention and a position-wise FFN, each with a residual connection and LayerNorm.

    ``forward(x (B, T, E), key_mask (B, T) | None, attn_mask | None, cache | None) -> (B, T, E)``,
    or ``(output, attention weights (B, h, T, T))`` with ``need_weights=True``.
    With a causal ``attn_mask`` it is the block of a decoder-only model (GPT); BERT's layer is this
    one with GELU and post-LN (:class:`dlbook.bert.BertModel` stacks them).
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        E = config.d_model
        self.pre_norm = config.pre_norm
        self.self_attn = MultiHeadAttention(E, config.num_heads, config.dropout, fused=config.fused)
        # the FFN: the same two matrices at every position of a layer, different in each layer
        self.linear1 = nn.Linear(E, config.d_ff)
        self.linear2 = nn.Linear(config.d_ff, E)
        self.norm1, self.norm2 = nn.LayerNorm(E, config.norm_eps), nn.LayerNorm(E, config.norm_eps)
        self.dropout, self.dropout1, self.dropout2 = (nn.Dropout(config.dropout) for _ in range(3))
        self.activation = _ACTIVATIONS[config.activation]

    def ffn(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))  # (B, T, E) -> (B, T, d_ff) -> (B, T, E)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor | None = None, attn_mask: torch.Tensor | None = None,
                cache: dict | None = None, need_weights: bool = False
                ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]:
        """The layer's output ``(B, T, E)``; with ``need_weights`` (torch's ``need_weights``, Hugging
        Face's ``output_attentions``) the pair ``(output, weights (B, h, T, T_k))``, the weights
        keeping their gradient (distillation matches them); None when ``fused``."""
        # the width from the norm, not linear1: PEFT may wrap linear1 (LoRA, a quantised base)
        _check_input(x, self.norm1.normalized_shape[-1], "x")
        y = self.norm1(x) if self.pre_norm else x
        a, w = self.self_attn(y, y, y, key_mask, attn_mask, cache)   # (B, T, E), (B, h, T, T_k)
        if self.pre_norm:
            x = x + self.dropout1(a)
            x = x + self.dropout2(self.ffn(self.norm2(x)))
        else:
            x = self.norm1(x + self.dropout1(a))
            x = self.norm2(x + self.dropout2(self.ffn(x)))
        return (x, w) if need_weights else x


class DecoderLayer(nn.Module):
    """Causal self-attention, cross-attention to the encoder's output ``memory``, and a FFN.

    ``forward(x (B, T, E), memory (B, S, E), memory_mask (B, S) | None, self_mask | None) -> (B, T, E)``;
    ``self_mask`` is usually :func:`~dlbook.attention.causal_mask` ``(T, T)``.
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        E = config.d_model
        self.pre_norm = config.pre_norm
        self.self_attn = MultiHeadAttention(E, config.num_heads, config.dropout, fused=config.fused)
        self.multihead_attn = MultiHeadAttention(E, config.num_heads, config.dropout, fused=config.fused)
        self.linear1 = nn.Linear(E, config.d_ff)
        self.linear2 = nn.Linear(config.d_ff, E)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(E, config.norm_eps) for _ in range(3))
        self.dropout, self.dropout1, self.dropout2, self.dropout3 = (nn.Dropout(config.dropout) for _ in range(4))
        self.activation = _ACTIVATIONS[config.activation]

    def ffn(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.dropout(self.activation(self.linear1(x))))  # (B, T, E) -> (B, T, d_ff) -> (B, T, E)

    def forward(self, x: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor | None = None,
                self_mask: torch.Tensor | None = None, cache: dict | None = None) -> torch.Tensor:
        E = self.linear1.in_features
        _check_input(x, E, "x")
        _check_input(memory, E, "memory")
        sa = lambda y: self.dropout1(self.self_attn(y, y, y, None, self_mask, cache)[0])  # noqa: E731
        ca = lambda y: self.dropout2(self.multihead_attn(y, memory, memory, memory_mask)[0])  # noqa: E731
        if self.pre_norm:
            x = x + sa(self.norm1(x))
            x = x + ca(self.norm2(x))
            return x + self.dropout3(self.ffn(self.norm3(x)))
        x = self.norm1(x + sa(x))
        x = self.norm2(x + ca(x))
        return self.norm3(x + self.dropout3(self.ffn(x)))


class EncoderOutput(NamedTuple):
    """What :class:`TransformerEncoder` returns with ``need_weights=True``.

    Attributes:
        last_hidden: ``(B, T, E)``, the stack's output (after the final LayerNorm when pre-LN).
        hidden_states: ``L + 1`` tensors ``(B, T, E)``: the input, then each layer's output (the
            last one after the final LayerNorm when pre-LN, so it is ``last_hidden``).
        attentions: ``L`` tensors ``(B, h, T, T_k)``, each layer's attention weights (None when fused).
    """

    last_hidden: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...]
    attentions: tuple[torch.Tensor | None, ...]


class TransformerEncoder(nn.Module):
    """``num_layers`` :class:`EncoderLayer` s (each with its own weights), then a final LayerNorm
    when pre-LN (the residual stream is otherwise never normalised).

    Args:
        config: the sizes.
        num_layers: overrides ``config.num_layers``.
        share_layers: ALBERT's cross-layer sharing (Lan et al., 2020): one layer applied ``num_layers`` times.
    """

    def __init__(self, config: TransformerConfig, num_layers: int | None = None, share_layers: bool = False):
        super().__init__()
        self._build_stack(config, num_layers, share_layers)

    def _build_stack(self, config: TransformerConfig, num_layers: int | None, share_layers: bool) -> None:
        # registers `layers` and `norm` (a subclass such as BertModel calls it after building its embeddings,
        # so the weights are drawn in the order of the layout)
        n = config.num_layers if num_layers is None else num_layers
        check_positive_int("num_layers", n)
        if share_layers:
            layer = EncoderLayer(config)
            self.layers = nn.ModuleList([layer] * n)                 # one module, n references
        else:
            self.layers = nn.ModuleList(EncoderLayer(config) for _ in range(n))
        self.norm = nn.LayerNorm(config.d_model, config.norm_eps) if config.pre_norm else nn.Identity()

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor | None = None, attn_mask: torch.Tensor | None = None,
                caches: list[dict] | None = None, need_weights: bool = False) -> torch.Tensor | EncoderOutput:
        """The output ``(B, T, E)``; with ``need_weights`` an :class:`EncoderOutput` that also holds
        every layer's output and attention weights (BERT's ``hidden_states`` and ``attentions``)."""
        hidden, attentions = [x], []
        for i, layer in enumerate(self.layers):
            cache = None if caches is None else caches[i]
            if need_weights:
                x, w = layer(x, key_mask, attn_mask, cache, need_weights=True)
                hidden.append(x)
                attentions.append(w)
            else:
                x = layer(x, key_mask, attn_mask, cache)
        x = self.norm(x)                                             # (B, T, E)
        if not need_weights:
            return x
        hidden[-1] = x                                               # the same tensor when post-LN (Identity)
        return EncoderOutput(x, tuple(hidden), tuple(attentions))


class TransformerDecoder(nn.Module):
    """``num_layers`` :class:`DecoderLayer` s, then a final LayerNorm when pre-LN."""

    def __init__(self, config: TransformerConfig, num_layers: int | None = None):
        super().__init__()
        n = config.num_decoder_layers or config.num_layers if num_layers is None else num_layers
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(n))
        self.norm = nn.LayerNorm(config.d_model, config.norm_eps) if config.pre_norm else nn.Identity()

    def forward(self, x: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor | None = None,
                self_mask: torch.Tensor | None = None, caches: list[dict] | None = None) -> torch.Tensor:
        """``caches``: one dict per layer that keeps the self-attention keys and values of earlier calls."""
        if caches is not None and len(caches) != len(self.layers):
            raise ValueError(f"need one cache per decoder layer ({len(self.layers)}), got {len(caches)}")
        for i, layer in enumerate(self.layers):
            x = layer(x, memory, memory_mask, self_mask, None if caches is None else caches[i])
        return self.norm(x)                                          # (B, T, E)


def _positions(config: TransformerConfig) -> nn.Module:
    if config.positions == "sinusoidal":
        return SinusoidalPositionalEncoding(config.d_model, config.max_len)
    return LearnedPositionalEmbedding(config.d_model, config.max_len)


class EncoderDecoder(nn.Module):
    """The encoder-decoder Transformer of Vaswani et al. (2017) for sequence-to-sequence tasks.

    Embeddings are scaled by ``sqrt(d_model)`` before the positions are added (section 3.4).
    ``forward(src (B, S), src_mask (B, S), tgt_in (B, T))`` returns logits ``(B, T, V_tgt)`` for all
    target positions in one pass (teacher forcing under a causal mask): the same call as
    :class:`dlbook.rnn.Seq2Seq`, so the same loaders and losses serve both.

    Args:
        src_vocab, tgt_vocab: vocabulary sizes.
        config: the sizes.
        pad_id: padding id of both vocabularies.
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, config: TransformerConfig, pad_id: int = 0):
        super().__init__()
        self.config = config
        E = config.d_model
        self.src_embed = nn.Embedding(src_vocab, E, padding_idx=pad_id)
        self.tgt_embed = nn.Embedding(tgt_vocab, E, padding_idx=pad_id)
        # N(0, 1/E) so that the embeddings scaled by sqrt(E) have entries of size ~1, like the positions
        # (with nn.Embedding's N(0, 1) they would be sqrt(E) times larger and drown the position signal)
        for emb in (self.src_embed, self.tgt_embed):
            nn.init.normal_(emb.weight, std=E ** -0.5)
            emb.weight.data[pad_id].zero_()
        self.src_pos, self.tgt_pos = _positions(config), _positions(config)
        self.dropout = nn.Dropout(config.dropout)
        self.encoder = TransformerEncoder(config)
        self.decoder = TransformerDecoder(config)
        self.out = nn.Linear(E, tgt_vocab)

    def encode(self, src: torch.Tensor, src_mask: torch.Tensor) -> torch.Tensor:
        """The memory ``(B, S, E)``."""
        if src.dim() != 2 or src_mask.shape != src.shape or src_mask.dtype != torch.bool:
            raise ValueError(f"expected src (B, S) and a boolean src_mask of the same shape, "
                             f"got {tuple(src.shape)} and {src_mask.dtype} {tuple(src_mask.shape)}")
        x = self.dropout(self.src_pos(self.src_embed(src) * math.sqrt(self.config.d_model)))  # (B, S, E)
        return self.encoder(x, key_mask=src_mask)

    def new_caches(self) -> list[dict]:
        """Empty key/value caches, one per decoder layer, for :meth:`decode` one token at a time."""
        return [{} for _ in self.decoder.layers]

    def decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor,
               caches: list[dict] | None = None, start: int = 0) -> torch.Tensor:
        """Logits ``(B, T, V)`` for every target position, each seeing only earlier targets.

        With ``caches`` (from :meth:`new_caches`), ``tgt_in`` holds only the new tokens, which sit
        at positions ``start, ..., start + T - 1``; the keys and values of the ``start`` earlier
        tokens are read from the caches instead of being recomputed, and the new ones are added.
        """
        if tgt_in.dim() != 2 or tgt_in.shape[0] != memory.shape[0]:
            raise ValueError(f"tgt_in must have shape ({memory.shape[0]}, T), got {tuple(tgt_in.shape)}")
        cached = 0 if caches is None or "k" not in caches[0] else caches[0]["k"].shape[2]
        if start != cached:
            raise ValueError(f"start must equal the number of cached positions ({cached}), got {start}")
        T = tgt_in.shape[1]
        y = self.dropout(self.tgt_pos(self.tgt_embed(tgt_in) * math.sqrt(self.config.d_model), start))  # (B, T, E)
        mask = causal_mask(T, start + T, device=tgt_in.device)      # (T, start + T)
        h = self.decoder(y, memory, src_mask, mask, caches)          # (B, T, E)
        return self.out(h)                                           # (B, T, V)

    def forward(self, src: torch.Tensor, src_mask: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        return self.decode(tgt_in, self.encode(src, src_mask), src_mask)

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, src_mask: torch.Tensor, max_len: int, bos_id: int = 1,
                      eos_id: int = 2, use_cache: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Decode one token at a time, feeding back the argmax.

        Without ``use_cache`` the decoder is re-run on the whole prefix at every step; with it, each
        step feeds the newest token only and reads the earlier keys and values from a cache (the
        same ids, fewer operations).

        Returns ids ``(B, max_len)`` (``eos_id`` after the first ``<eos>``) and the last decoder
        layer's cross-attention weights averaged over heads ``(B, max_len, S)`` (None when fused).
        The loop is the course's one greedy loop, :func:`dlbook.decoding.greedy_decode`; this method
        is its start (encode the source) and its step (decode, with or without the cache).
        """
        B = src.shape[0]
        cross = self.decoder.layers[-1].multihead_attn
        steps = []                                                   # cached: one row of weights per step
        with eval_mode(self):
            memory = self.encode(src, src_mask)                      # start: the memory (B, S, E)
            if use_cache:
                caches = self.new_caches()

                def step(prev: torch.Tensor, t: int) -> tuple[torch.Tensor, int]:
                    logits = self.decode(prev[:, None], memory, src_mask, caches, t)  # (B, 1, V)
                    steps.append(cross.last_weights)                 # (B, h, 1, S) or None when fused
                    return logits[:, -1], t + 1

                state = 0                                            # how many targets are cached
            else:
                def step(prev: torch.Tensor, ys: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
                    ys = torch.cat([ys, prev[:, None]], dim=1)       # (B, t + 1): <bos> and the ids so far
                    return self.decode(ys, memory, src_mask)[:, -1], ys  # (B, t + 1, V) -> (B, V)

                state = torch.zeros(B, 0, dtype=torch.long, device=src.device)
            ids = decoding.greedy_decode(step, state, B, max_len, bos_id, eos_id, device=src.device)
        w = cross.last_weights
        if use_cache:
            w = None if self.config.fused or steps[0] is None else torch.cat(steps, dim=2)  # (B, h, max_len, S)
        return ids, (None if self.config.fused or w is None else w.mean(1))  # (B, h, T, S) -> (B, T, S)


class DecoderOnlyLM(nn.Module):
    """A GPT-style causal language model (Radford et al., 2018; 2019): token + learned position
    embeddings, pre-LN blocks with causal self-attention, a final LayerNorm and a linear head.

    ``forward(ids (B, T), caches=None, start=0)`` returns next-token logits ``(B, T, V)``; the
    logits at position ``t`` depend on ``ids[:, :t + 1]`` only. With ``caches`` (one dict per layer,
    from :meth:`new_caches`) the keys and values of earlier calls are kept, so decoding can feed one
    token at a time (``start`` = how many tokens came before).
    """

    def __init__(self, vocab_size: int, config: TransformerConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(vocab_size, config.d_model)
        nn.init.normal_(self.embed.weight, std=0.02)
        self.pos = _positions(config)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = TransformerEncoder(config)
        self.head = nn.Linear(config.d_model, vocab_size)

    def new_caches(self) -> list[dict]:
        return [{} for _ in self.blocks.layers]

    def forward(self, ids: torch.Tensor, caches: list[dict] | None = None, start: int = 0) -> torch.Tensor:
        if ids.dim() != 2:
            raise ValueError(f"DecoderOnlyLM expects ids (B, T), got {tuple(ids.shape)}")
        T = ids.shape[1]
        x = self.dropout(self.pos(self.embed(ids), start))           # (B, T, E)
        mask = causal_mask(T, start + T, device=ids.device)          # (T, start + T)
        return self.head(self.blocks(x, attn_mask=mask, caches=caches))  # (B, T, V)


@torch.no_grad()
def generate(model: DecoderOnlyLM, prefix: torch.Tensor, length: int, temperature: float = 1.0,
             top_k: int | None = None, greedy: bool = False, generator: torch.Generator | None = None,
             use_cache: bool = True) -> torch.Tensor:
    """Continue ``prefix`` ``(T0,)`` by ``length`` ids sampled from ``softmax(logits / temperature)``,
    restricted to the ``top_k`` most likely ids when given (or the argmax when ``greedy``).

    With ``use_cache`` each step feeds one token and reuses the cached keys and values; without,
    each step re-runs the whole sequence. Both give the same ids. Returns ``(length,)``.
    Chapter 5's arguments for the course's one decoding loop, :func:`dlbook.decoding.generate`.
    """
    if prefix.dim() != 1 or len(prefix) == 0:
        raise ValueError(f"prefix must be a non-empty (T0,) tensor of ids, got {tuple(prefix.shape)}")
    if not greedy and temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if len(prefix) + length > model.config.max_len:
        raise ValueError(f"prefix + length = {len(prefix) + length} exceeds max_len {model.config.max_len}")
    processors = [] if greedy else [decoding.Temperature(temperature)] + ([decoding.TopK(top_k)] if top_k is not None else [])
    return decoding.generate(model, prefix[None].long(), length, processors, greedy=greedy, generator=generator,
                             use_cache=use_cache)[0]


def warmup_scheduler(optimizer: torch.optim.Optimizer, warmup_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up to the optimizer's learning rate over ``warmup_steps`` steps, then decay as
    ``1 / sqrt(step)``: the schedule of Vaswani et al. (2017, eq. 3), scaled so its peak is the
    optimizer's ``lr``. Step it after every batch (``fit(..., scheduler_interval="batch")``)."""
    if warmup_steps < 1:
        raise ValueError(f"warmup_steps must be >= 1, got {warmup_steps}")
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup_steps, math.sqrt(warmup_steps / (s + 1))))

