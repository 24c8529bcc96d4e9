"""Supervised instruction tuning (指令微调, SFT): next-token loss on the response only.

An instruction example is a prompt and a response written as one sequence,
``prompt ids + response ids + <eos>``; the model reads all of it (so the response is conditioned
on the prompt) but is trained to predict only the response and the ``<eos>`` that ends it: the label
of every position whose next token belongs to the prompt is -100, the ignored label of
``nn.CrossEntropyLoss``. Masking the prompt is what Ouyang et al. (2022, InstructGPT) and most
instruction-tuning recipes do: the model should learn to answer, not to write prompts.

Conventions (as chapter 5's language models): inputs and labels are already shifted, so the label
at position ``t`` is the id at ``t + 1``; padding is on the right, its labels are -100.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
import torch.nn.functional as F

__all__ = ["IGNORE_INDEX", "SFTBatch", "response_mask", "sft_loss", "sft_tensors"]

IGNORE_INDEX = -100


class SFTBatch(NamedTuple):
    """Instruction examples as tensors.

    ``ids`` ``(N, T)``: the model's input, ``prompt + response + <eos>`` without its last id, right-padded;
    ``labels`` ``(N, T)``: the next id where it belongs to the response or is ``<eos>``, else -100;
    ``prompt_lengths`` ``(N,)``: the number of prompt ids of each example.
    """

    ids: torch.Tensor
    labels: torch.Tensor
    prompt_lengths: torch.Tensor


def sft_tensors(prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]], eos_id: int,
                pad_id: int = 0, max_len: int | None = None, mask_prompt: bool = True) -> SFTBatch:
    """Build the inputs and prompt-masked labels of instruction examples.

    Args:
        prompts: the prompt ids of each example (non-empty).
        responses: the response ids of each example (``<eos>`` is appended here).
        eos_id: the id that ends a response.
        pad_id: the input id of padding positions (their labels are -100 whatever it is).
        max_len: ``T``, the padded length; the longest example when None (an error if one is longer).
        mask_prompt: False keeps the labels of the prompt too (plain language modelling of the
            whole sequence), for comparison.

    Returns:
        An :class:`SFTBatch`.
    """
    if len(prompts) != len(responses):
        raise ValueError(f"need one response per prompt, got {len(prompts)} prompts and {len(responses)} responses")
    seqs, plens = [], []
    for i, (p, r) in enumerate(zip(prompts, responses)):
        if len(p) == 0:
            raise ValueError(f"prompt {i} is empty; the first response id needs a prompt id to be predicted from")
        seqs.append(list(p) + list(r) + [eos_id])
        plens.append(len(p))
    longest = max(len(s) for s in seqs) - 1
    T = longest if max_len is None else max_len
    if T < longest:
        raise ValueError(f"max_len={max_len} is shorter than the longest example ({longest} input ids)")
    ids = torch.full((len(seqs), T), pad_id, dtype=torch.long)
    labels = torch.full((len(seqs), T), IGNORE_INDEX, dtype=torch.long)
    for b, (s, n) in enumerate(zip(seqs, plens)):
        s = torch.tensor(s, dtype=torch.long)
        ids[b, :len(s) - 1] = s[:-1]                                 # inputs: all but the last id
        labels[b, :len(s) - 1] = s[1:]                               # labels: the next id
        if mask_prompt:
            # position t predicts id t + 1, a prompt id while t + 1 < n: the first n - 1 positions
            labels[b, :n - 1] = IGNORE_INDEX
    return SFTBatch(ids, labels, torch.tensor(plens, dtype=torch.long))


def response_mask(labels: torch.Tensor) -> torch.Tensor:
    """Boolean ``(B, T)``: True where a position is trained (its label is not -100)."""
    return labels != IGNORE_INDEX


def sft_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the trained positions (labels != -100), in nats per token.

    Args:
        logits: ``(B, T, V)`` next-token logits.
        labels: ``(B, T)`` next ids, -100 where the position is not trained (prompt, padding).

    Returns:
        A 0-dim tensor: ``sum over trained positions of -log p(label) / their number``.
    """
    if logits.dim() != 3 or labels.shape != logits.shape[:2]:
        raise ValueError(f"sft_loss expects logits (B, T, V) and labels (B, T), got "
                         f"{tuple(logits.shape)} and {tuple(labels.shape)}")
    if not bool((labels != IGNORE_INDEX).any()):
        raise ValueError("every label is -100: no position to train (is the whole sequence masked?)")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),  # (B*T, V)
                           ignore_index=IGNORE_INDEX)
