"""Distillation losses: softmax with temperature, Hinton's KD loss, a distiller module, FitNets hints.

References:
    Hinton, Vinyals and Dean, "Distilling the Knowledge in a Neural Network" (2015).
    Romero et al., "FitNets: Hints for Thin Deep Nets" (ICLR 2015).
    Jiao et al., "TinyBERT: Distilling BERT for Natural Language Understanding" (Findings of EMNLP 2020).
    Sun et al., "Patient Knowledge Distillation for BERT Model Compression" (EMNLP 2019).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["softmax_t", "kd_loss", "Distiller", "HintRegressor", "tinybert_layer_map", "pkd_layer_map", "pkd_loss"]


def _check_temperature(T: float) -> float:
    if isinstance(T, bool) or not isinstance(T, (int, float)):
        raise TypeError(f"temperature T must be a number, got {type(T).__name__}")
    if not T > 0:
        raise ValueError(f"temperature T must be > 0, got {T}")
    return float(T)


def _check_logits(name: str, logits: torch.Tensor) -> None:
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"{name} must be a tensor, got {type(logits).__name__}")
    if logits.dim() != 2:
        raise ValueError(f"{name} must have shape (B, C), got {tuple(logits.shape)}")


def softmax_t(logits: torch.Tensor, T: float = 1.0, dim: int = -1) -> torch.Tensor:
    """Softmax with temperature, ``softmax(z / T)`` (Hinton et al. 2015, eq. 1).

    Args:
        logits: any shape; normalised along ``dim``.
        T: temperature > 0. ``T = 1`` is the ordinary softmax; a larger ``T`` gives a softer
            distribution, and as ``T -> inf`` it tends to the uniform distribution.
        dim: the class dimension.

    Returns:
        Probabilities of the shape of ``logits``.
    """
    T = _check_temperature(T)
    return torch.softmax(logits / T, dim=dim)


def kd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    targets: torch.Tensor | None = None,
    T: float = 4.0,
    alpha: float = 0.9,
) -> torch.Tensor:
    """Hinton's knowledge-distillation loss.

    ``alpha * T^2 * KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * CE(s, y)``, the KL averaged
    over the batch. The ``T^2`` factor keeps the soft term's gradients on the scale of the hard term's
    when ``T`` changes: the soft gradients shrink as ``1 / T^2`` (Hinton et al. 2015, section 2).

    Args:
        student_logits: ``(B, C)``.
        teacher_logits: ``(B, C)``; no gradient flows into them (they are detached).
        targets: ``(B,)`` class ids for the hard term; ``None`` uses the soft term alone (``alpha`` = 1).
        T: temperature > 0.
        alpha: weight of the soft term, in [0, 1].

    Returns:
        A 0-dim tensor.
    """
    T = _check_temperature(T)
    _check_logits("student_logits", student_logits)
    _check_logits("teacher_logits", teacher_logits)
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(
            f"student and teacher logits must have the same shape (B, C), got {tuple(student_logits.shape)} "
            f"and {tuple(teacher_logits.shape)}"
        )
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    log_p_s = F.log_softmax(student_logits / T, dim=-1)  # (B, C)
    log_p_t = F.log_softmax(teacher_logits.detach() / T, dim=-1)  # (B, C)
    soft = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1).mean() * T**2
    if targets is None:
        return soft
    if targets.shape != student_logits.shape[:1]:
        raise ValueError(f"targets must have shape (B,) = {tuple(student_logits.shape[:1])}, got {tuple(targets.shape)}")
    return alpha * soft + (1.0 - alpha) * F.cross_entropy(student_logits, targets)


class Distiller(nn.Module):
    """A student trained against a frozen teacher, in the shape ``dlbook.fit`` expects.

    ``forward(x)`` returns the student's logits (so metrics such as ``dlbook.accuracy`` see the
    student) and keeps the teacher's logits of the same batch; :meth:`loss` is the ``loss_fn``
    to pass to ``fit``::

        kd = Distiller(student, teacher, T=4.0, alpha=0.9)
        dlbook.fit(kd, kd.loss, torch.optim.Adam(student.parameters()), loaders.train, loaders.val)

    Batches ``((x, teacher_logits), y)`` skip the teacher's forward pass (see :meth:`forward`).

    Args:
        student, teacher: classifiers with the same number of outputs ``C``.
        T, alpha: as in :func:`kd_loss`.
    """

    def __init__(self, student: nn.Module, teacher: nn.Module, T: float = 4.0, alpha: float = 0.9):
        super().__init__()
        self.T = _check_temperature(T)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.alpha = float(alpha)
        self.student = student
        self.teacher = teacher.eval().requires_grad_(False)
        self._teacher_logits: torch.Tensor | None = None

    def train(self, mode: bool = True) -> Distiller:
        super().train(mode)
        self.teacher.eval()  # the teacher's dropout and batch norm stay in inference mode
        return self

    def forward(self, x: torch.Tensor, teacher_logits: torch.Tensor | None = None) -> torch.Tensor:
        """The student's logits ``(B, C)``; keeps the teacher's logits of ``x`` for :meth:`loss`.

        Args:
            x: the batch, as the student and the teacher take it.
            teacher_logits: the teacher's logits ``(B, C)`` for this batch, computed beforehand (the
                teacher is frozen, so on a fixed transfer set they can be computed once and carried by
                the batches: "offline" distillation). None (the default) runs the teacher on ``x``.
        """
        if teacher_logits is None:
            with torch.no_grad():
                teacher_logits = self.teacher(x)  # (B, C)
        elif teacher_logits.dim() != 2 or teacher_logits.shape[0] != len(x):
            raise ValueError(f"teacher_logits must have shape ({len(x)}, C), got {tuple(teacher_logits.shape)}")
        self._teacher_logits = teacher_logits.detach()
        return self.student(x)  # (B, C)

    def loss(self, student_logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The KD loss of the batch just passed through :meth:`forward`."""
        if self._teacher_logits is None:
            raise RuntimeError("call the Distiller on a batch before its loss")
        return kd_loss(student_logits, self._teacher_logits, targets, self.T, self.alpha)


class HintRegressor(nn.Module):
    """FitNets' regressor: maps the student's hidden features to the width of the teacher's hint layer.

    The hint loss is ``|| hint - regressor(guided) ||^2 / 2`` (Romero et al. 2015, eq. 3); here the
    mean squared error over the batch, which differs by a constant factor.

    Args:
        student_dim: width of the student's guided layer.
        teacher_dim: width of the teacher's hint layer.

    Shapes:
        ``(B, student_dim) -> (B, teacher_dim)``.
    """

    def __init__(self, student_dim: int, teacher_dim: int):
        super().__init__()
        self.proj = nn.Linear(student_dim, teacher_dim)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if h.dim() != 2 or h.shape[1] != self.proj.in_features:
            raise ValueError(f"expected guided features of shape (B, {self.proj.in_features}), got {tuple(h.shape)}")
        return self.proj(h)  # (B, teacher_dim)

    def loss(self, h: torch.Tensor, hint: torch.Tensor) -> torch.Tensor:
        """Mean squared error between the regressed student features and the teacher's hint."""
        out = self(h)
        if hint.shape != out.shape:
            raise ValueError(f"hint must have shape {tuple(out.shape)}, got {tuple(hint.shape)}")
        return F.mse_loss(out, hint.detach())


def tinybert_layer_map(student_layers: int, teacher_layers: int) -> list[int]:
    """TinyBERT's uniform mapping ``g(m) = m * N / M`` for ``m = 0 .. M + 1``.

    Layer 0 is the embedding layer and ``M + 1`` the prediction layer (``g(M + 1) = N + 1``);
    Transformer layer ``m`` of the student learns from teacher layer ``m * N / M``
    (Jiao et al. 2020, section 3.1).

    Returns:
        ``[g(0), g(1), ..., g(M + 1)]``.

    Raises:
        ValueError: if ``N`` is not a multiple of ``M`` (the uniform strategy needs one).
    """
    M, N = student_layers, teacher_layers
    if not (isinstance(M, int) and isinstance(N, int)) or M < 1 or N < M or N % M:
        raise ValueError(f"need 1 <= M <= N with N a multiple of M, got M={M}, N={N}")
    return [m * N // M for m in range(M + 1)] + [N + 1]


def pkd_layer_map(student_layers: int, teacher_layers: int, scheme: str = "skip") -> list[int]:
    """Patient KD's teacher layers for the student's intermediate layers ``1 .. M - 1``.

    ``"skip"``: every ``N / M``-th teacher layer (``2, 4, ...`` for ``N = 2M``); ``"last"``: the
    ``M - 1`` teacher layers just below the top one (Sun et al. 2019, section 3.2). The student's
    top layer is taught by the output distillation loss instead.
    """
    M, N = student_layers, teacher_layers
    if not (isinstance(M, int) and isinstance(N, int)) or M < 2 or N < M or N % M:
        raise ValueError(f"need 2 <= M <= N with N a multiple of M, got M={M}, N={N}")
    if scheme == "skip":
        return [j * N // M for j in range(1, M)]
    if scheme == "last":
        return list(range(N - M + 1, N))
    raise ValueError(f"scheme must be 'skip' or 'last', got {scheme!r}")


def pkd_loss(student_hidden: torch.Tensor, teacher_hidden: torch.Tensor) -> torch.Tensor:
    """Patient KD's hidden-state loss: squared distance between L2-normalised vectors, averaged.

    Args:
        student_hidden, teacher_hidden: ``(B, D)`` (PKD uses the [CLS] vector of each mapped layer;
            any per-example vectors of equal width work, e.g. projected or pooled states).
    """
    if student_hidden.shape != teacher_hidden.shape or student_hidden.dim() != 2:
        raise ValueError(
            f"expected two (B, D) tensors of the same shape, got {tuple(student_hidden.shape)} and {tuple(teacher_hidden.shape)}"
        )
    s = F.normalize(student_hidden, dim=-1)
    t = F.normalize(teacher_hidden.detach(), dim=-1)
    return (s - t).pow(2).sum(-1).mean()
