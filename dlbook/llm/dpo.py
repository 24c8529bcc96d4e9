"""Direct preference optimisation (直接偏好优化, DPO; Rafailov et al., 2023).

Given a prompt ``x`` and two responses, a preferred one ``y_w`` and a rejected one ``y_l``, DPO
trains the policy :math:`\\pi_\\theta` directly, with no reward model and no reinforcement learning:

.. math::

    L = -\\log \\sigma\\Big(\\beta \\big[\\log \\tfrac{\\pi_\\theta(y_w|x)}{\\pi_{ref}(y_w|x)}
        - \\log \\tfrac{\\pi_\\theta(y_l|x)}{\\pi_{ref}(y_l|x)}\\big]\\Big)

where :math:`\\pi_{ref}` is the frozen model DPO starts from (the SFT model) and :math:`\\beta`
sets how far the policy may move from it. :math:`r(x, y) = \\beta \\log \\pi_\\theta(y|x) / \\pi_{ref}(y|x)`
is the *implicit reward*; the loss is the logistic loss of the reward margin
:math:`r(x, y_w) - r(x, y_l)` (the Bradley-Terry model of the preference).

To train with :func:`dlbook.train.fit`, :class:`PreferenceModel` wraps the policy so that
``model(chosen_ids, chosen_labels, rejected_ids, rejected_labels)`` returns the two sequence
log-probabilities ``(B, 2)``; the targets are the reference model's ``(B, 2)``, computed once
(:func:`reference_logps`); :class:`DPOLoss` is the loss and :func:`reward_margin`,
:func:`reward_accuracy` are metrics.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .sft import IGNORE_INDEX

__all__ = [
    "DPOLoss",
    "PreferenceModel",
    "dpo_loss",
    "reference_logps",
    "reward_accuracy",
    "reward_margin",
    "sequence_logprob",
]


def sequence_logprob(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``log p(response | prompt)``: the sum of the log-probabilities of the labelled ids.

    Args:
        logits: ``(B, T, V)`` next-token logits.
        labels: ``(B, T)`` next ids, -100 where not part of the response (as :func:`dlbook.llm.sft.sft_tensors`).

    Returns:
        ``(B,)`` log-probabilities (sums over each row's labelled positions).
    """
    if logits.dim() != 3 or labels.shape != logits.shape[:2]:
        raise ValueError(f"sequence_logprob expects logits (B, T, V) and labels (B, T), got "
                         f"{tuple(logits.shape)} and {tuple(labels.shape)}")
    keep = labels != IGNORE_INDEX                                   # (B, T)
    logp = torch.log_softmax(logits.float(), dim=-1)               # (B, T, V)
    picked = logp.gather(-1, labels.clamp(min=0)[..., None])[..., 0]  # (B, T)
    return (picked * keep).sum(dim=1)                               # (B,)


def dpo_loss(policy_chosen: torch.Tensor, policy_rejected: torch.Tensor, ref_chosen: torch.Tensor,
             ref_rejected: torch.Tensor, beta: float = 0.1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The DPO loss of Rafailov et al. (2023, eq. 7) and the implicit rewards.

    Args:
        policy_chosen, policy_rejected: ``(B,)`` log-probabilities of the preferred and the
            rejected response under the model being trained.
        ref_chosen, ref_rejected: ``(B,)`` the same under the frozen reference model.
        beta: the strength of the implicit KL constraint (> 0); 0.1 is common.

    Returns:
        ``(loss, chosen_rewards, rejected_rewards)``: the mean of
        ``-log sigmoid(r_w - r_l)`` (0-dim) and the rewards ``r = beta * (log pi - log pi_ref)`` ``(B,)``.
    """
    if not beta > 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    shapes = {tuple(t.shape) for t in (policy_chosen, policy_rejected, ref_chosen, ref_rejected)}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise ValueError(f"dpo_loss expects four (B,) tensors of log-probabilities, got shapes "
                         f"{[tuple(t.shape) for t in (policy_chosen, policy_rejected, ref_chosen, ref_rejected)]}")
    chosen = beta * (policy_chosen - ref_chosen)                     # (B,) implicit reward of y_w
    rejected = beta * (policy_rejected - ref_rejected)               # (B,) implicit reward of y_l
    loss = -F.logsigmoid(chosen - rejected).mean()                   # logsigmoid: stable for large margins
    return loss, chosen.detach(), rejected.detach()


class PreferenceModel(nn.Module):
    """Wrap a causal LM so that one forward pass scores both responses of a preference pair.

    ``forward(chosen_ids (B, T), chosen_labels (B, T), rejected_ids (B, T'), rejected_labels (B, T'))``
    returns ``(B, 2)``: ``[log pi(y_w | x), log pi(y_l | x)]`` (see :func:`sequence_logprob`).
    The wrapped model is ``self.policy``.
    """

    def __init__(self, policy: nn.Module):
        super().__init__()
        self.policy = policy

    def forward(self, chosen_ids: torch.Tensor, chosen_labels: torch.Tensor, rejected_ids: torch.Tensor,
                rejected_labels: torch.Tensor) -> torch.Tensor:
        chosen = sequence_logprob(self.policy(chosen_ids), chosen_labels)        # (B,)
        rejected = sequence_logprob(self.policy(rejected_ids), rejected_labels)  # (B,)
        return torch.stack([chosen, rejected], dim=1)                            # (B, 2)


@torch.no_grad()
def reference_logps(model: nn.Module, chosen_ids: torch.Tensor, chosen_labels: torch.Tensor,
                    rejected_ids: torch.Tensor, rejected_labels: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The frozen reference model's ``(N, 2)`` log-probabilities of every pair (eval mode, no gradients)."""
    scorer = PreferenceModel(model)
    was_training = model.training
    model.eval()
    try:
        return torch.cat([scorer(chosen_ids[i:i + batch_size], chosen_labels[i:i + batch_size],
                                 rejected_ids[i:i + batch_size], rejected_labels[i:i + batch_size])
                          for i in range(0, len(chosen_ids), batch_size)])  # (N, 2)
    finally:
        model.train(was_training)


def _check_pairs(policy: torch.Tensor, reference: torch.Tensor, who: str) -> None:
    if policy.dim() != 2 or policy.shape[1] != 2 or reference.shape != policy.shape:
        raise ValueError(f"{who} expects policy and reference log-probabilities (B, 2), got "
                         f"{tuple(policy.shape)} and {tuple(reference.shape)}")


class DPOLoss(nn.Module):
    """:func:`dpo_loss` as ``loss_fn(policy (B, 2), reference (B, 2))``, the form :func:`dlbook.fit` calls."""

    def __init__(self, beta: float = 0.1):
        super().__init__()
        if not beta > 0:
            raise ValueError(f"beta must be > 0, got {beta}")
        self.beta = beta

    def forward(self, policy: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
        _check_pairs(policy, reference, "DPOLoss")
        return dpo_loss(policy[:, 0], policy[:, 1], reference[:, 0], reference[:, 1], self.beta)[0]


def reward_margin(policy: torch.Tensor, reference: torch.Tensor, beta: float = 0.1) -> torch.Tensor:
    """Mean implicit reward margin ``r(x, y_w) - r(x, y_l)`` over a batch (0-dim), from ``(B, 2)`` log-probabilities."""
    _check_pairs(policy, reference, "reward_margin")
    r = beta * (policy - reference).detach()                          # (B, 2)
    return (r[:, 0] - r[:, 1]).mean()


def reward_accuracy(policy: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Fraction of pairs whose implicit reward prefers the chosen response (``beta`` does not matter)."""
    _check_pairs(policy, reference, "reward_accuracy")
    d = (policy - reference).detach()                                # (B, 2)
    return (d[:, 0] > d[:, 1]).float().mean()
