"""The adversarial losses: the original GAN's, its two generator forms, and WGAN's critic.

Every function takes the discriminator's *logits* ``a`` (its output before the sigmoid), so that
``D(x) = sigmoid(a)``; working on logits keeps ``log D`` finite where ``D`` rounds to 0 or 1.

References:
    Goodfellow et al. (2014), "Generative Adversarial Nets", NeurIPS: the value function (eq. 1),
    Algorithm 1 and the non-saturating generator loss (section 3).
    Arjovsky, Chintala and Bottou (2017), "Wasserstein GAN", ICML: the critic and weight clipping.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "discriminator_loss",
    "generator_loss",
    "critic_loss",
    "wgan_generator_loss",
    "clip_weights",
    "optimal_discriminator",
]


def _check_logits(name: str, a: object) -> torch.Tensor:
    if not isinstance(a, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of logits, got {type(a).__name__}")
    if a.dim() == 2 and a.shape[1] == 1:
        a = a.reshape(-1)  # (B, 1) -> (B,)
    if a.dim() != 1:
        raise ValueError(f"{name} must have shape (B,) or (B, 1), got {tuple(a.shape)}")
    return a


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's loss: minus the value function, ``-[log D(x) + log(1 - D(G(z)))]``.

    Minimising it maximises ``V(D, G)`` over D (Goodfellow et al. 2014, eq. 1). It is the binary
    cross-entropy with label 1 for real and 0 for fake samples, each averaged over its batch.

    Args:
        real_logits: ``(B,)`` or ``(B, 1)`` logits of real samples.
        fake_logits: ``(B',)`` or ``(B', 1)`` logits of generated samples.

    Returns:
        A 0-dim tensor.
    """
    real_logits = _check_logits("real_logits", real_logits)
    fake_logits = _check_logits("fake_logits", fake_logits)
    # log(1 - sigmoid(a)) = logsigmoid(-a); both written stably by softplus.
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """The generator's loss, in the minimax (saturating) or the non-saturating form.

    * saturating: ``mean log(1 - D(G(z)))``, the term of ``V`` that G can change. Its gradient with
      respect to the logit is ``-D(G(z))``, which vanishes when D confidently rejects the fakes, as
      it does early in training.
    * non-saturating: ``-mean log D(G(z))``, the paper's practical choice; the logit gradient is
      ``-(1 - D(G(z)))``, largest exactly when the fakes are rejected.

    Args:
        fake_logits: ``(B,)`` or ``(B, 1)`` logits of generated samples.
        saturating: pick the minimax form.

    Returns:
        A 0-dim tensor.
    """
    fake_logits = _check_logits("fake_logits", fake_logits)
    if saturating:
        return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(a)) = -softplus(a)
    return F.softplus(-fake_logits).mean()  # -log sigmoid(a) = softplus(-a)


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN's critic loss ``mean f(G(z)) - mean f(x)``: no sigmoid, no log.

    Minimising it maximises ``E f(x) - E f(G(z))``, which for a 1-Lipschitz critic ``f`` is a
    lower bound of the Wasserstein-1 distance (Arjovsky et al. 2017, eq. 3). Its negative is the
    progress signal WGAN plots.

    Args:
        real_scores: ``(B,)`` or ``(B, 1)`` critic outputs on real samples.
        fake_scores: ``(B',)`` or ``(B', 1)`` critic outputs on generated samples.
    """
    real_scores = _check_logits("real_scores", real_scores)
    fake_scores = _check_logits("fake_scores", fake_scores)
    return fake_scores.mean() - real_scores.mean()


def wgan_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """WGAN's generator loss ``-mean f(G(z))``."""
    return -_check_logits("fake_scores", fake_scores).mean()


@torch.no_grad()
def clip_weights(module: nn.Module, c: float = 0.01) -> None:
    """Clamp every parameter of ``module`` to ``[-c, c]`` in place (WGAN's Lipschitz constraint).

    Args:
        module: the critic.
        c: the clipping constant (0.01 in Arjovsky et al. 2017, Algorithm 1).
    """
    if not isinstance(c, (int, float)) or c <= 0:
        raise ValueError(f"c must be a positive number, got {c!r}")
    for p in module.parameters():
        p.clamp_(-c, c)


def optimal_discriminator(p_data: torch.Tensor, p_model: torch.Tensor) -> torch.Tensor:
    """``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` for densities evaluated at the same points.

    Goodfellow et al. (2014), Proposition 1. Where both densities are 0 the value is undefined;
    it is returned as 1/2 (no sample ever lands there).

    Args:
        p_data, p_model: densities of the same shape, non-negative.
    """
    p_data, p_model = torch.as_tensor(p_data), torch.as_tensor(p_model)
    if p_data.shape != p_model.shape:
        raise ValueError(f"p_data and p_model must have the same shape, got {tuple(p_data.shape)} and {tuple(p_model.shape)}")
    if (p_data < 0).any() or (p_model < 0).any():
        raise ValueError("densities must be non-negative")
    total = p_data + p_model
    return torch.where(total > 0, p_data / total.clamp_min(torch.finfo(total.dtype).tiny), torch.full_like(total, 0.5))
