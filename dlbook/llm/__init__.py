"""Large language models (chapter 10): a LLaMA-style model, its pieces, a GPT baseline of the same
size, a byte-level BPE tokenizer and a frozen text corpus.

API (stable; the notebooks of chapter 10 and the exercises call it):

Model (``dlbook.llm.model``; Touvron et al., 2023a, b)
    ``RMSNorm(dim, eps=1e-6)``: parameter ``weight`` ``(dim,)``, loads ``torch.nn.RMSNorm``'s
    ``state_dict``; written out (runs on torch >= 2.1).
    ``apply_rope(x, positions, base=10000.0, interleaved=False)``: ``x`` ``(B, H, T, D)``,
    ``positions`` ``(T,)`` or ``(B, T)``; position 0 is the identity. ``rope_angles(positions, D, base)``.
    ``LlamaConfig(dim, n_layers, n_heads, n_kv_heads=None, vocab_size, ffn_hidden=None, ...)``
    with ``.num_parameters()``, ``.kv_cache_bytes_per_token(bytes_per_value=2)``, ``.head_dim``.
    ``Llama(config)``: ``model(idx (B, T)) -> logits (B, T, V)`` (plugs into ``dlbook.train.fit``);
    with a cache, ``cache = model.new_cache(batch_size, max_len)`` then ``model(idx, cache)``
    (``start_pos`` defaults to ``cache.length``; the cache is filled in place and ``cache.length``
    advances). ``Llama.load_hf_state_dict(sd)`` loads a Hugging Face ``LlamaForCausalLM``.
    ``KVCache``: ``k``, ``v`` ``(n_layers, B, H_kv, max_len, D)``, ``length``, ``nbytes``.
    ``llama_num_parameters(dim, n_layers, n_heads, n_kv_heads, vocab_size, ffn_hidden,
    tied_embeddings=False) -> int``; ``llama_ffn_hidden(dim, multiple_of=256, ffn_dim_multiplier=None)``;
    ``kv_cache_bytes_per_token(n_layers, n_kv_heads, head_dim, bytes_per_value=2) -> int``.

GPT baseline (``dlbook.llm.baseline``)
    ``gpt_config_like(llama_config, positions="learned", activation="gelu", dropout=0.0)`` -> a
    ``dlbook.transformer.TransformerConfig`` of chapter 5's ``DecoderOnlyLM`` with the same width,
    depth, heads and context and ``d_ff`` chosen for an equal parameter count;
    ``matched_gpt(llama_config)`` builds it; ``gpt_num_parameters(vocab_size, tconfig)``.
    Both models take ``model(idx) -> logits`` and ``model.config``.

Corpus (``dlbook.llm.corpus``)
    ``load_corpus(language="en", split="all") -> str`` (``language`` ``"en"``, ``"zh"``, ``"all"``;
    ``split`` ``"train"``, ``"val"``, ``"all"``, held out by document); ``corpus_documents(...)``.

Tokenizer (``dlbook.llm.bpe``; Sennrich et al., 2016; Radford et al., 2019)
    ``BPETokenizer.train(text, vocab_size, special_tokens=("<|endoftext|>",))``; ``tok.encode(text,
    allowed_special="all")``, ``tok.encode_ordinary(text)``, ``tok.decode(ids)``, ``tok.tokens(ids)``,
    ``tok.truncated(num_merges)``, ``tok.to_tiktoken()``; attributes ``merges``, ``vocab``, ``ranks``,
    ``special_tokens``, ``vocab_size``. ``pretokenize(text)``, ``SPLIT_PATTERN`` (a pure-``re``
    approximation of GPT-2's ``GPT2_SPLIT_PATTERN``), ``bytes_per_token(tok, text)``.
"""

from __future__ import annotations

from . import baseline, bpe, corpus, model
from .bpe import SPLIT_PATTERN, BPETokenizer, bytes_per_token, pretokenize
from .baseline import gpt_config_like, gpt_num_parameters, matched_gpt
from .corpus import corpus_documents, load_corpus
from .model import (
    KVCache,
    Llama,
    LlamaConfig,
    RMSNorm,
    apply_rope,
    kv_cache_bytes_per_token,
    llama_ffn_hidden,
    llama_num_parameters,
    rope_angles,
)

__all__ = [
    "BPETokenizer",
    "SPLIT_PATTERN",
    "bpe",
    "bytes_per_token",
    "pretokenize",
    "KVCache",
    "Llama",
    "LlamaConfig",
    "RMSNorm",
    "apply_rope",
    "baseline",
    "corpus",
    "corpus_documents",
    "gpt_config_like",
    "gpt_num_parameters",
    "kv_cache_bytes_per_token",
    "llama_ffn_hidden",
    "llama_num_parameters",
    "load_corpus",
    "matched_gpt",
    "model",
    "rope_angles",
]
