"""BERT: a bidirectional Transformer encoder pre-trained by masked language modelling and
next-sentence prediction (Devlin et al., 2019).

Built from :mod:`dlbook.transformer`'s layers, in the standard layout counted by
:func:`~dlbook.bert.params.bert_num_parameters`: token + learned position + segment embeddings,
summed and layer-normalised; ``L`` encoder layers, the Transformer's own stack (post-LN like BERT, or pre-LN); a pooler
(``tanh`` of a dense layer on ``[CLS]``). :class:`BertForPreTraining` adds the MLM head, whose
output matrix is **tied** to the token embedding (as in BERT; ``tied=False`` unties it), and the
NSP head on the pooled ``[CLS]``. ALBERT's factorised embedding and cross-layer sharing (Lan et
al., 2020) are options. Shapes: ``B`` batch, ``T`` length, ``H`` = ``d_model``, ``V`` vocabulary,
``h`` heads, ``L`` layers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..transformer import EncoderLayer, TransformerConfig, TransformerEncoder
from ..utils import check_number, check_positive_int

__all__ = ["BertClassifier", "BertConfig", "BertEmbeddings", "BertForPreTraining", "BertLayer", "BertModel",
           "BertOutput", "bert_config"]


@dataclass(frozen=True)
class BertConfig:
    """The sizes of a BERT encoder (Devlin et al., 2019), in BERT's own names; the defaults are
    BERT-base, BERT-large is ``BertConfig(1024, 24, 16)``. The pre-training recipe (data, steps,
    learning rate) is not here: see :class:`dlbook.bert.PretrainingRecipe`.

    Args:
        hidden: ``H``, the width of every position's vector.
        num_layers: ``L``.
        num_heads: ``h`` (``hidden % num_heads == 0``).
        intermediate: the FFN's width ``I`` (``4 H`` when None).
        max_len: the number of learned positions.
        dropout: on embeddings, attention weights and sublayer outputs, in [0, 1).
        pre_norm: pre-LN instead of BERT's post-LN.
        norm_eps: LayerNorm's epsilon (BERT's 1e-12).

    :meth:`transformer_config` gives the :class:`~dlbook.transformer.TransformerConfig` the layers
    take (GELU, learned positions).
    """

    hidden: int = 768
    num_layers: int = 12
    num_heads: int = 12
    intermediate: int | None = None
    max_len: int = 512
    dropout: float = 0.1
    pre_norm: bool = False
    norm_eps: float = 1e-12

    def __post_init__(self) -> None:
        for name in ("hidden", "num_layers", "num_heads", "max_len"):
            check_positive_int(name, getattr(self, name))
        if self.intermediate is not None:
            check_positive_int("intermediate", self.intermediate)
        check_number("dropout", self.dropout, "a number in [0, 1)", lambda v: 0.0 <= v < 1.0)
        if not isinstance(self.pre_norm, bool):
            raise TypeError(f"pre_norm must be a bool, got {type(self.pre_norm).__name__}")
        check_number("norm_eps", self.norm_eps, "a number > 0", lambda v: v > 0)
        if self.hidden % self.num_heads:
            raise ValueError(f"hidden {self.hidden} must be divisible by num_heads {self.num_heads}")

    def transformer_config(self) -> TransformerConfig:
        """The :class:`~dlbook.transformer.TransformerConfig` of these sizes with BERT's choices:
        GELU, learned positions, ``d_ff = intermediate`` (``4 H`` by default)."""
        return TransformerConfig(d_model=self.hidden, num_heads=self.num_heads,
                                 d_ff=4 * self.hidden if self.intermediate is None else self.intermediate,
                                 num_layers=self.num_layers, dropout=self.dropout, pre_norm=self.pre_norm,
                                 max_len=self.max_len, positions="learned", activation="gelu", norm_eps=self.norm_eps)


def bert_config(hidden: int = 768, num_layers: int = 12, num_heads: int = 12, intermediate: int | None = None,
                max_len: int = 512, dropout: float = 0.1, pre_norm: bool = False) -> TransformerConfig:
    """A :class:`~dlbook.transformer.TransformerConfig` with BERT's choices: GELU, LayerNorm
    epsilon 1e-12, learned positions, post-LN (unless ``pre_norm``), ``d_ff = 4 H`` by default.
    The defaults are BERT-base; BERT-large is ``bert_config(1024, 24, 16)``. The same as
    ``BertConfig(...).transformer_config()``."""
    return BertConfig(hidden, num_layers, num_heads, intermediate, max_len, dropout, pre_norm).transformer_config()


def _as_transformer_config(config: TransformerConfig | BertConfig) -> TransformerConfig:
    if isinstance(config, BertConfig):
        return config.transformer_config()
    if not isinstance(config, TransformerConfig):
        raise TypeError(f"config must be a BertConfig or a TransformerConfig, got {type(config).__name__}")
    return config


class BertEmbeddings(nn.Module):
    """``LayerNorm(token[ids] + position[t] + segment[segments])``, then dropout, ``(B, T) -> (B, T, H)``.

    Args:
        vocab_size: ``V``.
        config: the sizes (``d_model``, ``max_len``, ``dropout``, ``norm_eps``).
        type_vocab_size: number of segments (2: sentence A and sentence B).
        embedding_size: ALBERT's ``E``: the tables are ``E`` wide and a linear map takes the sum to ``H``.
    """

    def __init__(self, vocab_size: int, config: TransformerConfig | BertConfig, type_vocab_size: int = 2,
                 embedding_size: int | None = None):
        super().__init__()
        config = _as_transformer_config(config)
        E = config.d_model if embedding_size is None else embedding_size
        self.token = nn.Embedding(vocab_size, E)
        self.position = nn.Embedding(config.max_len, E)
        self.segment = nn.Embedding(type_vocab_size, E)
        for emb in (self.token, self.position, self.segment):
            nn.init.normal_(emb.weight, std=0.02)                    # BERT's initializer_range
        self.norm = nn.LayerNorm(E, config.norm_eps)
        self.project = nn.Linear(E, config.d_model) if E != config.d_model else nn.Identity()
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, ids: torch.Tensor, segments: torch.Tensor | None = None) -> torch.Tensor:
        if ids.dim() != 2:
            raise ValueError(f"ids must have shape (B, T), got {tuple(ids.shape)}")
        B, T = ids.shape
        if T > self.position.num_embeddings:
            raise ValueError(f"sequence length {T} exceeds max_len {self.position.num_embeddings}")
        if segments is None:
            segments = torch.zeros_like(ids)
        elif segments.shape != ids.shape:
            raise ValueError(f"segments must have the shape of ids {tuple(ids.shape)}, got {tuple(segments.shape)}")
        pos = torch.arange(T, device=ids.device)                     # (T,)
        x = self.token(ids) + self.position(pos) + self.segment(segments)  # (B, T, E) + (T, E) + (B, T, E)
        return self.dropout(self.project(self.norm(x)))              # (B, T, E) -> (B, T, H)


class BertLayer(EncoderLayer):
    """Deprecated: use :class:`~dlbook.transformer.EncoderLayer` and call it with
    ``need_weights=True``; :class:`BertModel` stacks ``EncoderLayer`` s.

    The same layer (same parameters, same computation) whose ``forward(x, key_mask)`` returns
    ``(output (B, T, H), weights (B, h, T, T))`` as it always did.
    """

    def __init__(self, config: TransformerConfig):
        warnings.warn("dlbook.bert.BertLayer is deprecated: use dlbook.transformer.EncoderLayer and call it with "
                      "need_weights=True", FutureWarning, stacklevel=2)
        super().__init__(config)

    def forward(self, x: torch.Tensor, key_mask: torch.Tensor | None = None  # type: ignore[override]
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        return super().forward(x, key_mask, need_weights=True)


@dataclass
class BertOutput:
    """What :class:`BertModel` returns.

    Attributes:
        last_hidden: ``(B, T, H)`` the last layer's output.
        pooled: ``(B, H)`` ``tanh(W h_[CLS] + b)``, None without a pooler.
        hidden_states: ``L + 1`` tensors ``(B, T, H)``: the embeddings' output, then each layer's.
        attentions: ``L`` tensors ``(B, h, T, T)``, each layer's attention weights (None when fused).
    """

    last_hidden: torch.Tensor
    pooled: torch.Tensor | None
    hidden_states: tuple[torch.Tensor, ...]
    attentions: tuple[torch.Tensor | None, ...]


class BertModel(TransformerEncoder):
    """The BERT encoder: :class:`BertEmbeddings`, the Transformer's encoder stack (``L``
    :class:`~dlbook.transformer.EncoderLayer` s and, when pre-LN, a final LayerNorm: this class
    *is* a :class:`~dlbook.transformer.TransformerEncoder`), a pooler.

    ``forward(ids (B, T), segments (B, T) | None, key_mask (B, T) | None) -> BertOutput``;
    ``key_mask`` (True = real token) defaults to ``ids != pad_id``.

    Args:
        vocab_size: ``V``.
        config: the sizes, a :class:`BertConfig` (or a :class:`~dlbook.transformer.TransformerConfig`
            such as :func:`bert_config` gives; its ``positions`` is ignored: BERT's are learned).
        type_vocab_size: number of segments.
        pad_id: the padding id (for the default ``key_mask``).
        pooler: add the pooler.
        embedding_size: ALBERT's factorised embedding width ``E`` (None: ``E = H``).
        share_layers: ALBERT's cross-layer sharing: one layer applied ``L`` times.
    """

    def __init__(self, vocab_size: int, config: TransformerConfig | BertConfig, type_vocab_size: int = 2, pad_id: int = 0,
                 pooler: bool = True, embedding_size: int | None = None, share_layers: bool = False):
        # not TransformerEncoder.__init__: the embeddings are built (their weights drawn) before the
        # stack, BERT's layout and the order of the shipped weights; the stack is then the parent's
        nn.Module.__init__(self)
        config = _as_transformer_config(config)
        self.config, self.vocab_size, self.pad_id = config, vocab_size, pad_id
        self.embeddings = BertEmbeddings(vocab_size, config, type_vocab_size, embedding_size)
        self._build_stack(config, None, share_layers)               # self.layers, self.norm
        self.pooler = nn.Linear(config.d_model, config.d_model) if pooler else None

    def forward(self, ids: torch.Tensor, segments: torch.Tensor | None = None,  # type: ignore[override]
                key_mask: torch.Tensor | None = None) -> BertOutput:
        if key_mask is None:
            key_mask = ids != self.pad_id                            # (B, T)
        x = self.embeddings(ids, segments)                           # (B, T, H)
        out = super().forward(x, key_mask, need_weights=True)        # the stack, every layer's output and weights
        x = out.last_hidden                                          # (B, T, H)
        pooled = torch.tanh(self.pooler(x[:, 0])) if self.pooler is not None else None  # (B, H)
        return BertOutput(x, pooled, out.hidden_states, out.attentions)


class BertForPreTraining(nn.Module):
    """BERT with its two pre-training heads.

    - MLM: ``LayerNorm(gelu(W h + b))`` then a linear map to ``V`` logits whose matrix is the token
      embedding when ``tied`` (BERT's choice; only the output bias ``(V,)`` is new);
    - NSP: a linear map of the pooled ``[CLS]`` to 2 logits (1 = B follows A, 0 = B is random).

    ``forward(ids, segments=None, key_mask=None) -> (mlm_logits (B, T, V), nsp_logits (B, 2))``,
    a pair that :func:`dlbook.bert.pretraining_loss` scores. ``self.bert`` is the encoder.
    """

    def __init__(self, bert: BertModel, tied: bool = True):
        super().__init__()
        if bert.pooler is None:
            raise ValueError("BertForPreTraining needs a BertModel with a pooler (for NSP)")
        self.bert, self.tied = bert, tied
        H = bert.config.d_model
        E, V = bert.embeddings.token.embedding_dim, bert.vocab_size
        self.transform = nn.Linear(H, E)
        self.transform_norm = nn.LayerNorm(E, bert.config.norm_eps)
        self.decoder_bias = nn.Parameter(torch.zeros(V))
        self.decoder = None if tied else nn.Linear(E, V, bias=False)
        self.nsp = nn.Linear(H, 2)

    def mlm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(B, T, H) -> (B, T, V)``."""
        h = self.transform_norm(F.gelu(self.transform(hidden)))       # (B, T, E)
        weight = self.bert.embeddings.token.weight if self.decoder is None else self.decoder.weight  # (V, E)
        return F.linear(h, weight, self.decoder_bias)                # (B, T, E) @ (E, V) -> (B, T, V)

    def forward(self, ids: torch.Tensor, segments: torch.Tensor | None = None,
                key_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.bert(ids, segments, key_mask)
        return self.mlm_logits(out.last_hidden), self.nsp(out.pooled)


class BertClassifier(nn.Module):
    """A sequence classifier on BERT's ``[CLS]``: dropout and a linear layer on the pooled output
    (on the raw ``[CLS]`` vector when the encoder has no pooler), ``(B, T) -> (B, C)``.

    Args:
        bert: the encoder (pre-trained or freshly initialised).
        num_classes: ``C``.
        dropout: on the ``[CLS]`` vector.
        freeze: keep the encoder's weights fixed (a linear probe): no gradient, eval mode.
    """

    def __init__(self, bert: BertModel, num_classes: int, dropout: float = 0.1, freeze: bool = False):
        super().__init__()
        self.bert, self.freeze = bert, freeze
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(bert.config.d_model, num_classes)
        if freeze:
            bert.requires_grad_(False)

    def train(self, mode: bool = True) -> "BertClassifier":
        super().train(mode)
        if self.freeze:
            self.bert.eval()                                         # no dropout in a frozen encoder
        return self

    def forward(self, ids: torch.Tensor, segments: torch.Tensor | None = None,
                key_mask: torch.Tensor | None = None) -> torch.Tensor:
        out = self.bert(ids, segments, key_mask)
        cls = out.pooled if out.pooled is not None else out.last_hidden[:, 0]  # (B, H)
        return self.head(self.dropout(cls))                          # (B, C)
