"""Parameter-efficient fine-tuning (chapter 10): train a small number of new or selected
parameters of a frozen pre-trained model.

- :mod:`~dlbook.peft.lora`: :class:`LoRALinear` (Hu et al., 2021), :func:`apply_lora`,
  :func:`merge_lora`, :func:`quantize_linears` (QLoRA's frozen quantised base, Dettmers et al.,
  2023), :func:`count_trainable`;
- :mod:`~dlbook.peft.adalora`: :class:`SVDLinear`, :class:`RankAllocator`,
  :func:`orthogonal_regularization` (AdaLoRA, Zhang et al., 2023);
- :mod:`~dlbook.peft.adapters`: :class:`Adapter` (Houlsby et al., 2019), :func:`apply_adapters`,
  :func:`apply_bitfit` (Ben Zaken et al., 2022);
- :mod:`~dlbook.peft.prompts`: :class:`SoftPrompt` (Lester et al., 2021), :class:`PromptEncoder`
  (P-tuning, Liu et al., 2021), :class:`PromptedModel`, :class:`PrefixEncoder` and
  :func:`prefix_tuning` (Li & Liang, 2021; P-tuning v2, Liu et al., 2022);
- :mod:`~dlbook.peft.llama`: :class:`LlamaPrefixModel`, :func:`llama_prefix_tuning`,
  :func:`llama_prefix_from_tokens` (prefix-tuning and P-tuning v2 on :class:`dlbook.llm.Llama`
  through its key/value cache) and :data:`LLAMA_TARGETS` (its seven linear layers);
- :mod:`~dlbook.peft.attention`: :class:`PeftAttention`, :func:`split_qkv` (separate ``q``, ``k``,
  ``v`` layers and a prefix for :class:`dlbook.attention.MultiHeadAttention`).

Quick start (LoRA on the mini BERT's queries and values)::

    from dlbook import bert, peft
    clf = bert.BertClassifier(bert.load_pretrained().bert, num_classes=4)
    peft.split_qkv(clf.bert)                               # W_q, W_k, W_v as nn.Linear q, k, v
    peft.apply_lora(clf.bert, ["q", "v"], r=4, alpha=8)    # freezes the encoder; the head still trains
    peft.count_trainable(clf)                              # (trainable, total)
"""

from .adalora import RankAllocator, SVDLinear, apply_adalora, orthogonal_regularization, rank_pattern
from .adapters import Adapter, AdaptedLinear, apply_adapters, apply_bitfit
from .attention import PeftAttention, split_qkv
from .llama import LLAMA_TARGETS, LlamaPrefixModel, llama_prefix_from_tokens, llama_prefix_tuning
from .lora import LoRALinear, apply_lora, count_trainable, match_modules, merge_lora, quantize_linears, replace_module
from .tasks import first_half_topics
from .prompts import PrefixEncoder, PrefixModel, PromptedModel, PromptEncoder, SoftPrompt, prefix_tuning

__all__ = [
    "Adapter", "AdaptedLinear", "LLAMA_TARGETS", "LlamaPrefixModel", "LoRALinear", "PeftAttention", "PrefixEncoder",
    "PrefixModel", "PromptEncoder", "PromptedModel", "RankAllocator", "SVDLinear", "SoftPrompt",
    "adam_state_bytes", "apply_adalora", "apply_adapters", "apply_bitfit", "apply_lora", "count_trainable",
    "llama_prefix_from_tokens", "llama_prefix_tuning", "match_modules", "merge_lora", "orthogonal_regularization",
    "prefix_tuning", "quantize_linears", "rank_pattern", "replace_module", "split_qkv",
]


def adam_state_bytes(model, bytes_per_value: int = 4) -> int:
    """Adam's optimizer state for ``model``'s trainable parameters: two values (first and second
    moment) per trainable parameter, ``bytes_per_value`` each (4 for float32)."""
    return 2 * count_trainable(model)[0] * bytes_per_value
