"""Adversarial examples: gradient attacks on images and tokens, and adversarial training.

- :func:`fgsm`: the fast gradient sign method (Goodfellow et al., 2015), untargeted or targeted;
- :func:`pgd`: projected gradient descent in the L-infinity ball, with a random start (Madry et
  al., 2018); one step of size ``1.25 eps`` from a random start is "fast" adversarial training's
  FGSM-RS (Wong et al., 2020);
- :func:`project_linf`: the projection both use (the ball first, then the pixel box);
- :func:`margin_loss`: Carlini & Wagner's (2017) logit margin, a loss that does not saturate
  when the softmax does (it catches the gradient masking of defensive distillation);
- :func:`robust_accuracy`: accuracy on attacked inputs, batch by batch;
- :class:`AdversarialBatches`: wraps a training loader so that :func:`dlbook.fit` trains on
  attacked batches (adversarial training with the course's one training loop);
- :func:`hotflip_scores`: the first-order estimate of the loss change of every one-token
  substitution (HotFlip, Ebrahimi et al., 2018), for word-substitution attacks on text models.

Conventions: inputs ``x`` are ``(B, ...)`` tensors in the box ``clip`` (pixels in [0, 1] by
default), labels ``y`` are class indices ``(B,)``. The attacks compute gradients with respect to
the input only (``torch.autograd.grad``), so the model's parameter gradients are left untouched;
they run the model in whatever mode it is in (call ``model.eval()`` first, as an evaluation
should), and return detached tensors.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from .utils import check_positive_int, eval_mode

__all__ = ["AdversarialBatches", "fgsm", "hotflip_scores", "margin_loss", "pgd", "project_linf", "robust_accuracy"]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Attack = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def _check(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
           clip: tuple[float, float] | None) -> None:
    if not isinstance(model, nn.Module) and not callable(model):
        raise TypeError(f"model must be a torch.nn.Module (or callable), got {type(model).__name__}")
    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        raise TypeError(f"x and y must be tensors, got {type(x).__name__} and {type(y).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    if x.dim() == 0 or y.shape[:1] != x.shape[:1]:
        raise ValueError(f"x (B, ...) and y (B,) must share the batch size, got {tuple(x.shape)} and {tuple(y.shape)}")
    if not eps >= 0:
        raise ValueError(f"eps must be >= 0, got {eps!r}")
    if clip is not None and not clip[0] < clip[1]:
        raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")


def _input_grad(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Loss) -> torch.Tensor:
    """``dL/dx`` of ``loss_fn(model(x), y)``, without touching any parameter's ``.grad``."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = loss_fn(model(x), y)
        if loss.dim() != 0:
            raise ValueError(f"loss_fn must return a scalar, got shape {tuple(loss.shape)}")
        (grad,) = torch.autograd.grad(loss, x)
    return grad


def project_linf(x_adv: torch.Tensor, x: torch.Tensor, eps: float,
                 clip: tuple[float, float] | None = (0.0, 1.0)) -> torch.Tensor:
    """Project onto ``{x' : ||x' - x||_inf <= eps}`` and then into the box ``clip``.

    Because the original ``x`` lies in the box, clipping after the ball projection stays in the
    ball too (each coordinate is clamped towards ``x``'s own, which is inside both).

    Shapes: ``x_adv``, ``x``: ``(B, ...)`` -> ``(B, ...)``.
    """
    if x_adv.shape != x.shape:
        raise ValueError(f"x_adv and x must have the same shape, got {tuple(x_adv.shape)} and {tuple(x.shape)}")
    out = x + (x_adv - x).clamp(-eps, eps)
    return out if clip is None else out.clamp(*clip)


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, loss_fn: Loss = F.cross_entropy,
         clip: tuple[float, float] | None = (0.0, 1.0), targeted: bool = False) -> torch.Tensor:
    """Fast gradient sign method (Goodfellow, Shlens & Szegedy, 2015).

    Untargeted: ``clamp(x + eps * sign(grad_x L(f(x), y)))``, a step up the loss of the true
    label. Targeted (``y`` holds the target classes): ``clamp(x - eps * sign(grad_x L(f(x), y)))``,
    a step down the loss of the target.

    Args:
        model: maps ``(B, ...)`` to logits ``(B, C)``; used in its current mode.
        x: inputs ``(B, ...)`` inside ``clip``.
        y: labels (or targets) ``(B,)``.
        eps: the L-infinity budget.
        loss_fn: ``(logits, y) -> scalar``.
        clip: the valid input box, or None.
        targeted: step towards ``y`` instead of away from it.

    Returns:
        ``x_adv`` ``(B, ...)``, detached, with ``||x_adv - x||_inf <= eps``.
    """
    _check(model, x, y, eps, clip)
    g = _input_grad(model, x, y, loss_fn)
    step = -eps if targeted else eps
    x_adv = x.detach() + step * g.sign()
    return x_adv if clip is None else x_adv.clamp(*clip)


def pgd(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, step_size: float, steps: int,
        random_start: bool = True, clip: tuple[float, float] | None = (0.0, 1.0),
        generator: torch.Generator | None = None, loss_fn: Loss = F.cross_entropy,
        targeted: bool = False) -> torch.Tensor:
    """Projected gradient descent on the loss in the L-infinity ball (Madry et al., 2018).

    ``x_0 = x + U(-eps, eps)`` (clipped to the box) with ``random_start``, else ``x``; then
    ``steps`` times ``x_{t+1} = project_linf(x_t + step_size * sign(grad L(f(x_t), y)))``
    (minus the step when ``targeted``).

    Args:
        model, x, y, eps, loss_fn, clip, targeted: as in :func:`fgsm`.
        step_size: ``alpha``, the size of each signed step.
        steps: number of steps (>= 1).
        random_start: start from a uniform point of the ball.
        generator: the random start's generator (None: PyTorch's global one, drawn exactly as
            ``torch.empty_like(x).uniform_(-eps, eps)``, which is what torchattacks draws).

    Returns:
        ``x_adv`` ``(B, ...)``, detached, in the ball and the box.
    """
    _check(model, x, y, eps, clip)
    check_positive_int("steps", steps)
    if not step_size > 0:
        raise ValueError(f"step_size must be > 0, got {step_size!r}")
    x = x.detach()
    if random_start:
        delta = torch.empty_like(x).uniform_(-eps, eps, generator=generator)
        x_adv = x + delta if clip is None else (x + delta).clamp(*clip)
    else:
        x_adv = x.clone()
    sign = -1.0 if targeted else 1.0
    for _ in range(steps):
        g = _input_grad(model, x_adv, y, loss_fn)
        x_adv = project_linf(x_adv + sign * step_size * g.sign(), x, eps, clip)
    return x_adv


def margin_loss(logits: torch.Tensor, y: torch.Tensor, kappa: float = float("inf")) -> torch.Tensor:
    """Carlini & Wagner's (2017) margin on the logits, to be *maximised* by an untargeted attack:
    ``mean(min(max_{j != y} z_j - z_y, kappa))``. Unlike cross-entropy on a saturated softmax,
    its gradient does not vanish when the model is (over)confident.

    Shapes: ``logits`` ``(B, C)``, ``y`` ``(B,)`` -> scalar.
    """
    if logits.dim() != 2 or y.shape != logits.shape[:1]:
        raise ValueError(f"margin_loss expects logits (B, C) and y (B,), got {tuple(logits.shape)} and {tuple(y.shape)}")
    true = logits.gather(1, y[:, None]).squeeze(1)                  # (B,)
    other = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), float("-inf")).amax(1)  # (B,)
    return (other - true).clamp(max=kappa).mean()


@torch.no_grad()
def _correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    return int((model(x).argmax(1) == y).sum())


def robust_accuracy(model: nn.Module, loader: Iterable, attack: Attack | None = None,
                    device: torch.device | str | None = None) -> float:
    """Accuracy of ``model`` on ``attack(model, x, y)`` for every batch ``(x, y)`` of ``loader``
    (clean accuracy when ``attack`` is None). Runs the model in eval mode and restores its mode.

    Args:
        model: the classifier, ``(B, ...) -> (B, C)``.
        loader: an iterable of ``(x, y)`` batches (a DataLoader, or a list of one pair).
        attack: e.g. ``lambda m, x, y: fgsm(m, x, y, 0.1)``.
        device: where to run (default: the model's parameters' device).
    """
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    correct = total = 0
    with eval_mode(model):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            if attack is not None:
                x = attack(model, x, y)
            correct += _correct(model, x, y)
            total += len(y)
    if total == 0:
        raise ValueError("robust_accuracy got an empty loader")
    return correct / total


class AdversarialBatches:
    """A training loader whose batches are attacked against the current model, for :func:`dlbook.fit`.

    ``fit(model, loss_fn, opt, AdversarialBatches(train_loader, model, attack))`` is adversarial
    training (Goodfellow et al., 2015; Madry et al., 2018) with the course's one training loop:
    each batch ``(x, y)`` is replaced by ``(attack(model, x, y), y)``, computed with the model in
    eval mode (no dropout noise in the attack, no batch-norm statistics from it), after which the
    model's mode is restored for the training step.

    Args:
        loader: the clean training batches ``(x, y)``.
        model: the model being trained (the same object ``fit`` trains).
        attack: ``(model, x, y) -> x_adv``.
        mix: fraction of each batch that is attacked (1.0: all of it; 0.5: Goodfellow et al.'s
            half-clean, half-adversarial objective, the first ``round(mix * B)`` rows attacked).
    """

    def __init__(self, loader: Iterable, model: nn.Module, attack: Attack, mix: float = 1.0):
        if not 0.0 <= mix <= 1.0:
            raise ValueError(f"mix must be in [0, 1], got {mix!r}")
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.loader, self.model, self.attack, self.mix = loader, model, attack, mix

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        device = next((p.device for p in self.model.parameters()), torch.device("cpu"))
        for x, y in self.loader:
            x, y = x.to(device), y.to(device)
            k = round(self.mix * len(y))
            if k > 0:
                with eval_mode(self.model):
                    x_adv = self.attack(self.model, x[:k], y[:k])
                x = torch.cat([x_adv, x[k:]]) if k < len(y) else x_adv
            yield x, y


def hotflip_scores(embedding_grad: torch.Tensor, embedding_matrix: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """First-order estimate of the loss change for every one-token substitution (HotFlip,
    Ebrahimi et al., 2018): replacing token ``ids[b, t]`` by word ``w`` changes the input
    embedding by ``E[w] - E[ids[b, t]]``, so the loss changes by about
    ``(E[w] - E[ids[b, t]]) . dL/de_{b, t}``.

    Args:
        embedding_grad: ``(B, T, E)`` the loss's gradient with respect to the token embeddings.
        embedding_matrix: ``(V, E)`` the token embedding table.
        ids: ``(B, T)`` the current tokens.

    Returns:
        ``(B, T, V)`` estimated loss increases (0 for keeping the current token).
    """
    if embedding_grad.dim() != 3 or ids.shape != embedding_grad.shape[:2]:
        raise ValueError(f"expected embedding_grad (B, T, E) and ids (B, T), got {tuple(embedding_grad.shape)} "
                         f"and {tuple(ids.shape)}")
    if embedding_matrix.dim() != 2 or embedding_matrix.shape[1] != embedding_grad.shape[2]:
        raise ValueError(f"embedding_matrix must be (V, {embedding_grad.shape[2]}), got {tuple(embedding_matrix.shape)}")
    new = torch.einsum("bte,ve->btv", embedding_grad, embedding_matrix)  # (B, T, V): E[w] . g
    old = (embedding_grad * embedding_matrix[ids]).sum(-1, keepdim=True)  # (B, T, 1): E[ids] . g
    return new - old
