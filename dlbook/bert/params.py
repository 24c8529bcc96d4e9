"""Parameter counts of BERT-style encoders from their hyper-parameters.

The layout is that of the released BERT checkpoints (Devlin et al., 2019; the ``BertModel`` of
Hugging Face): token, position and segment embeddings and a LayerNorm; per layer the query, key,
value and output projections with biases, two LayerNorms and a two-matrix feed-forward network
with biases; an optional pooler (a dense ``H x H`` layer with a bias on ``[CLS]``). ALBERT (Lan et
al., 2020) factorises the token embedding (``V x E`` then ``E x H``) and shares one layer's
weights across all layers; both are options here.
"""

from __future__ import annotations

from ..utils import check_positive_int

__all__ = ["bert_num_parameters"]


def bert_num_parameters(vocab_size: int, hidden: int, num_layers: int, intermediate: int | None = None,
                        max_position: int = 512, type_vocab_size: int = 2, pooler: bool = True,
                        embedding_size: int | None = None, share_layers: bool = False, pre_norm: bool = False,
                        mlm_head: bool = False, tied: bool = True, nsp_head: bool = False) -> int:
    """Number of parameters of a BERT encoder (and optionally its pre-training heads).

    With ``E`` = ``embedding_size`` (``H`` when None), ``I`` = ``intermediate`` (``4H`` when None):

    - embeddings: ``(V + P + S) E + 2E`` (three tables and a LayerNorm), plus ``E H + H`` when ``E != H``;
    - each layer: ``4 (H^2 + H)`` (attention) ``+ 2 H I + I + H`` (FFN) ``+ 4H`` (two LayerNorms),
      counted once when ``share_layers``;
    - a final LayerNorm ``2H`` when ``pre_norm`` (a post-LN stack needs none);
    - pooler: ``H^2 + H``;
    - MLM head: ``H E + E + 2E`` (transform and LayerNorm) ``+ V`` (output bias) ``+ V E`` if not ``tied``;
    - NSP head: ``2H + 2`` (on the pooled ``[CLS]``).

    Args:
        vocab_size, hidden, num_layers, intermediate, max_position, type_vocab_size: ``V, H, L, I, P, S``.
        pooler: include the pooler.
        embedding_size: ALBERT's factorised embedding width ``E``.
        share_layers: ALBERT's cross-layer sharing (one set of layer weights).
        pre_norm: count the final LayerNorm of a pre-LN stack.
        mlm_head, tied, nsp_head: include the pre-training heads (``tied``: the MLM output matrix is
            the token embedding, as in BERT).

    Returns:
        The count, equal to ``sum(p.numel() for p in model.parameters())`` of
        :class:`dlbook.bert.BertModel` / :class:`dlbook.bert.BertForPreTraining` built with the same sizes.
    """
    for name, v in (("vocab_size", vocab_size), ("hidden", hidden), ("num_layers", num_layers),
                    ("max_position", max_position), ("type_vocab_size", type_vocab_size)):
        check_positive_int(name, v)
    if nsp_head and not pooler:
        raise ValueError("the NSP head sits on the pooler: nsp_head=True needs pooler=True")
    V, H, L, P, S = vocab_size, hidden, num_layers, max_position, type_vocab_size
    I = 4 * H if intermediate is None else intermediate  # noqa: E741
    E = H if embedding_size is None else embedding_size
    embeddings = (V + P + S) * E + 2 * E + (E * H + H if E != H else 0)
    layer = 4 * (H * H + H) + (2 * H * I + I + H) + 4 * H
    total = embeddings + layer * (1 if share_layers else L)
    total += 2 * H if pre_norm else 0
    total += H * H + H if pooler else 0
    if mlm_head:
        total += H * E + E + 2 * E + V + (0 if tied else V * E)
    if nsp_head:
        total += 2 * H + 2
    return total
