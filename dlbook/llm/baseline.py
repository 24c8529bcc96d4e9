"""A GPT baseline of the same size as a :class:`~dlbook.llm.Llama`: chapter 5's
:class:`dlbook.transformer.DecoderOnlyLM` (learned positions, LayerNorm with biases, a two-matrix
GELU feed-forward network with biases, multi-head attention with biases; Radford et al., 2019).

:func:`gpt_config_like` keeps the width, depth and heads of a :class:`LlamaConfig` and picks the
GPT's feed-forward width so that the two models have (almost) the same number of parameters; the
rest of the difference is the architecture, which is what a comparison at equal size should test.
"""

from __future__ import annotations

from ..transformer import DecoderOnlyLM, TransformerConfig
from .model import LlamaConfig

__all__ = ["gpt_config_like", "gpt_num_parameters", "matched_gpt"]


def gpt_num_parameters(vocab_size: int, config: TransformerConfig) -> int:
    """Parameters of ``DecoderOnlyLM(vocab_size, config)``, with ``E`` = d_model, ``F`` = d_ff:
    embedding ``V E``, learned positions ``max_len E`` (none when sinusoidal), per layer
    ``4 E^2 + 4 E`` (attention) ``+ 2 E F + F + E`` (FFN) ``+ 4 E`` (two LayerNorms), a final
    LayerNorm ``2 E`` (pre-LN) and the head ``E V + V``."""
    E, F, L = config.d_model, config.d_ff, config.num_layers
    positions = config.max_len * E if config.positions == "learned" else 0
    per_layer = 4 * E * E + 4 * E + 2 * E * F + F + E + 4 * E
    final = 2 * E if config.pre_norm else 0
    return vocab_size * E + positions + L * per_layer + final + E * vocab_size + vocab_size


def gpt_config_like(config: LlamaConfig, positions: str = "learned", activation: str = "gelu",
                    dropout: float = 0.0, fused: bool = False) -> TransformerConfig:
    """A pre-LN GPT :class:`~dlbook.transformer.TransformerConfig` with the same ``dim``, ``n_layers``,
    ``n_heads`` and ``max_seq_len`` as ``config``, and ``d_ff`` chosen so that
    :func:`gpt_num_parameters` is as close as possible to ``config.num_parameters()`` (the gap is at
    most ``n_layers * (2 dim + 1) / 2`` parameters)."""
    if config.tied_embeddings:
        raise ValueError("DecoderOnlyLM has an untied head: compare it with an untied LlamaConfig")
    E, L, V = config.dim, config.n_layers, config.vocab_size
    base = TransformerConfig(d_model=E, num_heads=config.n_heads, d_ff=0, num_layers=L, dropout=dropout,
                             pre_norm=True, max_len=config.max_seq_len, positions=positions, fused=fused,
                             activation=activation)
    without_ffn = gpt_num_parameters(V, base)                        # d_ff = 0
    d_ff = round((config.num_parameters() - without_ffn) / (L * (2 * E + 1)))
    if d_ff < 1:
        raise ValueError(f"no GPT feed-forward width matches {config.num_parameters()} parameters "
                         f"(the GPT's attention and embeddings alone have {without_ffn})")
    base.d_ff = d_ff
    return base


def matched_gpt(config: LlamaConfig, **kwargs) -> DecoderOnlyLM:
    """``DecoderOnlyLM(config.vocab_size, gpt_config_like(config, **kwargs))``."""
    return DecoderOnlyLM(config.vocab_size, gpt_config_like(config, **kwargs))
