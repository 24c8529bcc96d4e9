"""Pre-training (预训练) a causal language model on a stream of token ids: windows, a one-pass
batch stream, and the recipe (AdamW, warm-up then cosine decay, gradient clipping) run by
:func:`dlbook.train.fit`.

Pre-training is self-supervised: the target of position ``t`` is the token at ``t + 1`` of the same
text, so no label is needed (Radford et al., 2018, "generative pre-training").
"""

from __future__ import annotations

from typing import Iterator

import torch
from torch import nn

from ..rnn import sequence_cross_entropy
from ..train import History, fit

__all__ = ["WindowStream", "pretrain", "token_windows"]


def token_windows(ids: torch.Tensor, T: int, stride: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut a 1-D stream of ids into inputs and next-token targets.

    Args:
        ids: ``(N,)`` token ids of the whole text.
        T: the window (context) length.
        stride: the step between window starts; ``T`` (no overlap) by default.

    Returns:
        ``X`` ``(K, T)`` and ``Y`` ``(K, T)`` with ``Y[k, t] = ids[start_k + t + 1]``: each target
        is the next id of the same text.
    """
    if ids.dim() != 1:
        raise ValueError(f"ids must be a 1-D stream (N,), got shape {tuple(ids.shape)}")
    stride = T if stride is None else stride
    if T < 1 or stride < 1:
        raise ValueError(f"T and stride must be >= 1, got T={T}, stride={stride}")
    if len(ids) < T + 1:
        raise ValueError(f"a stream of {len(ids)} ids is too short for one window of {T} (+1) ids")
    starts = torch.arange(0, len(ids) - T, stride)                  # a window needs T + 1 ids
    offsets = starts[:, None] + torch.arange(T)                     # (K, T)
    return ids[offsets], ids[offsets + 1]


class WindowStream:
    """Batches ``((X[idx],), Y[idx])`` that go *once* through a random permutation of the windows,
    ``steps_per_epoch`` batches per pass of :func:`dlbook.fit` over it: every "epoch" continues where
    the last one stopped, so ``fit(..., epochs=E)`` makes ``E * steps_per_epoch`` steps on distinct
    windows (one pass over the data, a history point every ``steps_per_epoch`` steps).

    Args:
        X, Y: ``(K, T)`` windows and targets (:func:`token_windows`).
        batch_size: windows per batch.
        steps_per_epoch: batches per pass of ``fit``.
        seed: the permutation's seed.
    """

    def __init__(self, X: torch.Tensor, Y: torch.Tensor, batch_size: int, steps_per_epoch: int, seed: int = 0):
        if X.shape != Y.shape or X.dim() != 2:
            raise ValueError(f"X and Y must be (K, T) of the same shape, got {tuple(X.shape)} and {tuple(Y.shape)}")
        if batch_size < 1 or steps_per_epoch < 1:
            raise ValueError(f"batch_size and steps_per_epoch must be >= 1, got {batch_size} and {steps_per_epoch}")
        self.X, self.Y, self.batch_size, self.steps = X, Y, batch_size, steps_per_epoch
        self.order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
        self.position = 0

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[tuple[tuple[torch.Tensor], torch.Tensor]]:
        for _ in range(self.steps):
            end = self.position + self.batch_size
            if end > len(self.order):
                raise ValueError(f"the stream ran out of windows after {self.position // self.batch_size} batches "
                                 f"of {self.batch_size} ({len(self.order)} windows)")
            idx = self.order[self.position:end]
            self.position = end
            yield (self.X[idx],), self.Y[idx]


def pretrain(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, steps: int, batch_size: int = 16,
             lr: float = 3e-3, seed: int = 0, chunks: int = 5, weight_decay: float = 0.01,
             warmup: float = 0.1, clip_grad: float = 1.0, progress: bool | None = False) -> History:
    """Train ``model`` (``model(idx (B, T)) -> logits (B, T, V)``) for ``steps`` steps on distinct
    windows: next-token cross-entropy, AdamW, a linear warm-up over the first ``warmup`` share of
    the steps then cosine decay (``OneCycleLR``), gradient norm clipped to ``clip_grad``.

    Args:
        model: the language model (on the device it should train on).
        X, Y: ``(K, T)`` windows and targets, ``K >= steps * batch_size``.
        steps: optimizer steps (a multiple of ``chunks``).
        batch_size: windows per step.
        lr: the peak learning rate.
        seed: the order of the windows.
        chunks: history points (``train_loss`` is the mean over each chunk of ``steps / chunks`` steps).
        progress: a progress bar; off by default (the chapter trains many short runs), None follows
            :func:`dlbook.runtime.progress_enabled`.

    Returns:
        The :class:`~dlbook.train.History` of :func:`dlbook.fit`.
    """
    if steps < 1 or steps % chunks:
        raise ValueError(f"steps must be a positive multiple of chunks={chunks}, got {steps}")
    stream = WindowStream(X, Y, batch_size, steps // chunks, seed)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=warmup)
    return fit(model, sequence_cross_entropy, opt, stream, epochs=chunks, scheduler=sched,
               scheduler_interval="batch", clip_grad=clip_grad, progress=progress)
