"""Word-substitution attacks on text classifiers: a greedy HotFlip (Ebrahimi et al., 2018).

- :func:`embedding_gradient`: the loss's gradient with respect to the token embeddings a model
  looks up, ``(B, T, E)``, without touching the parameters' gradients;
- :func:`hotflip_attack`: greedy one-token substitutions, each the best by the first-order
  estimate of :func:`dlbook.adversarial.hotflip_scores`, until the prediction changes or the budget
  of substitutions is spent.

Text is discrete, so the image attacks' small step along the gradient does not exist; HotFlip
ranks every *replacement* of one token by how much it would raise the loss to first order and
takes the best.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .adversarial import hotflip_scores
from .utils import check_positive_int

__all__ = ["FlipResult", "embedding_gradient", "hotflip_attack"]


def embedding_gradient(model: nn.Module, embedding: nn.Embedding, ids: torch.Tensor, labels: torch.Tensor,
                       loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """``d loss / d e_{b, t}``: the gradient of ``loss_fn(model(ids), labels)`` with respect to the
    output of ``embedding`` (the token vectors the model looked up), ``(B, T, E)``.

    The embedding's output is replaced, during this one forward pass, by a detached copy that
    requires a gradient, so the gradient is taken with respect to it alone: the parameters'
    ``.grad`` stay as they were, and a frozen embedding works too. The model is run as given (the
    caller chooses eval mode, as for :func:`dlbook.adversarial.fgsm`).

    Args:
        model: ``ids (B, T) -> logits (B, C)``; it must call ``embedding`` once on ``ids``.
        embedding: the model's token embedding table (``V x E``).
        ids: ``(B, T)`` token ids.
        labels: ``(B,)`` the classes whose loss is raised.
        loss_fn: default ``F.cross_entropy(..., reduction="sum")``, so that each row's gradient is
            its own loss's (not divided by the batch size).
    """
    if not isinstance(embedding, nn.Embedding):
        raise TypeError(f"embedding must be a torch.nn.Embedding, got {type(embedding).__name__}")
    if ids.dim() != 2 or labels.shape != ids.shape[:1]:
        raise ValueError(f"expected ids (B, T) and labels (B,), got {tuple(ids.shape)} and {tuple(labels.shape)}")
    loss_fn = loss_fn or (lambda logits, y: F.cross_entropy(logits, y, reduction="sum"))
    looked_up: list[torch.Tensor] = []

    def hook(module, inputs, output):
        out = output.detach().requires_grad_(True)
        looked_up.append(out)
        return out

    handle = embedding.register_forward_hook(hook)
    try:
        with torch.enable_grad():
            loss = loss_fn(model(ids), labels)
    finally:
        handle.remove()
    if len(looked_up) != 1 or looked_up[0].shape[:2] != ids.shape:
        raise ValueError(f"the model must look up ids {tuple(ids.shape)} in `embedding` exactly once, "
                         f"got {len(looked_up)} look-ups of shapes {[tuple(t.shape) for t in looked_up]}")
    (grad,) = torch.autograd.grad(loss, looked_up[0])
    return grad                                                      # (B, T, E)


@dataclass
class FlipResult:
    """What :func:`hotflip_attack` returns.

    Attributes:
        ids: ``(B, T)`` the attacked tokens.
        flips: ``(B,)`` substitutions made in each row (0 for a row already misclassified).
        success: ``(B,)`` True where the model's prediction on ``ids`` is not the label.
    """

    ids: torch.Tensor
    flips: torch.Tensor
    success: torch.Tensor

    def success_rate(self, max_flips: int) -> float:
        """Fraction of the rows fooled with at most ``max_flips`` substitutions."""
        return float((self.success & (self.flips <= max_flips)).float().mean())


@torch.no_grad()
def _predict(model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
    return model(ids).argmax(1)


def hotflip_attack(model: nn.Module, embedding: nn.Embedding, ids: torch.Tensor, labels: torch.Tensor,
                   max_flips: int, positions: torch.Tensor | None = None, words: torch.Tensor | None = None
                   ) -> FlipResult:
    """Greedy HotFlip (Ebrahimi et al., 2018): up to ``max_flips`` one-token substitutions per row,
    each the ``(position, word)`` of largest first-order loss increase
    (:func:`dlbook.adversarial.hotflip_scores`), recomputing the gradient after every flip. A row
    stops as soon as the model's prediction differs from its label; a position is changed at
    most once.

    Args:
        model: ``ids (B, T) -> logits (B, C)``, run as given (set eval mode first).
        embedding: its token embedding table ``(V, E)``.
        ids: ``(B, T)`` the sentences; ``labels``: ``(B,)`` their classes.
        max_flips: the budget of substitutions per row (>= 1).
        positions: ``(B, T)`` or ``(T,)`` True where a token may be replaced (default: everywhere).
        words: ``(V,)`` True for the words that may be put in (default: every word).

    Returns:
        A :class:`FlipResult`; ``flips[b]`` is the number of substitutions row ``b`` needed (or
        ``max_flips`` if it was never fooled, with ``success[b]`` False).
    """
    check_positive_int("max_flips", max_flips)
    if ids.dim() != 2 or labels.shape != ids.shape[:1]:
        raise ValueError(f"expected ids (B, T) and labels (B,), got {tuple(ids.shape)} and {tuple(labels.shape)}")
    B, T = ids.shape
    V = embedding.num_embeddings
    if positions is None:
        positions = torch.ones(B, T, dtype=torch.bool, device=ids.device)
    positions = positions.to(torch.bool).expand(B, T) if positions.dim() == 1 else positions.to(torch.bool)
    if positions.shape != (B, T):
        raise ValueError(f"positions must be (B, T) = {(B, T)} or (T,), got {tuple(positions.shape)}")
    if words is None:
        words = torch.ones(V, dtype=torch.bool, device=ids.device)
    if words.shape != (V,):
        raise ValueError(f"words must be (V,) = ({V},), got {tuple(words.shape)}")
    ids = ids.clone()
    free = positions.clone()                                         # (B, T) not yet changed
    flips = torch.zeros(B, dtype=torch.long, device=ids.device)
    fooled = _predict(model, ids) != labels
    for _ in range(max_flips):
        active = ~fooled & free.any(1)
        if not active.any():
            break
        rows = active.nonzero().squeeze(1)
        grad = embedding_gradient(model, embedding, ids[rows], labels[rows])        # (b, T, E)
        scores = hotflip_scores(grad, embedding.weight.detach(), ids[rows])         # (b, T, V)
        keep = F.one_hot(ids[rows], V).bool()                        # the current token: no change
        allowed = free[rows][:, :, None] & words[None, None, :] & ~keep
        best = scores.masked_fill(~allowed, float("-inf")).flatten(1).argmax(1)  # (b,) over T * V
        t, w = best // V, best % V
        ids[rows, t] = w
        free[rows, t] = False
        flips[rows] += 1
        fooled[rows] = _predict(model, ids[rows]) != labels[rows]
    return FlipResult(ids, flips, fooled)
