"""Neurons, activation functions and loss functions written from their formulas.

Everything here is plain tensor arithmetic so a reader can compare it line by line with
the formulas in chapter 1; the unit tests check each function against PyTorch's own.

* The McCulloch-Pitts neuron (McCulloch & Pitts, 1943) and Rosenblatt's perceptron
  learning rule (Rosenblatt, 1958).
* Activations and their derivatives: step, sigmoid, tanh, ReLU, Leaky ReLU, ELU, and a
  numerically stable softmax / log-softmax.
* Losses: MSE, MAE, Huber, cross-entropy, binary cross-entropy, KL divergence, hinge.

Losses take ``reduction`` in ``{"mean", "sum", "none"}`` like :mod:`torch.nn.functional`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

__all__ = [
    "PerceptronResult",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "elu",
    "elu_grad",
    "entropy",
    "hinge",
    "huber",
    "kl_divergence",
    "leaky_relu",
    "leaky_relu_grad",
    "log_softmax",
    "mae",
    "mp_neuron",
    "mse",
    "perceptron_predict",
    "perceptron_train",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_naive",
    "step",
    "step_grad",
    "tanh",
    "tanh_grad",
]

_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------------------
# Neurons
# --------------------------------------------------------------------------------------


def step(x: torch.Tensor) -> torch.Tensor:
    """Heaviside step: 1 where ``x >= 0``, else 0 (same shape and dtype as ``x``).

    The threshold unit of McCulloch and Pitts (McCulloch & Pitts, 1943). We put
    ``step(0) = 1`` so that a neuron fires when its input *reaches* the threshold.
    """
    x = _as_float(x, "step")
    return (x >= 0).to(x.dtype)


def step_grad(x: torch.Tensor) -> torch.Tensor:
    """Derivative of :func:`step`: 0 everywhere it exists (undefined at 0; we return 0).

    This is why the perceptron cannot be trained by gradient descent through the step.
    """
    x = _as_float(x, "step_grad")
    return torch.zeros_like(x)


def mp_neuron(x: torch.Tensor, w: torch.Tensor, theta: float | torch.Tensor) -> torch.Tensor:
    """McCulloch-Pitts neuron: ``step(x @ w - theta)``.

    Args:
        x: inputs ``(N, D)`` (or one input ``(D,)``).
        w: weights ``(D,)``.
        theta: threshold (a scalar).

    Returns:
        0/1 outputs ``(N,)`` (or a 0-dim tensor for one input).
    """
    x = _as_float(x, "mp_neuron")
    w = _as_float(w, "mp_neuron", dtype=x.dtype)
    if w.dim() != 1 or x.shape[-1] != w.shape[0]:
        raise ValueError(
            f"mp_neuron expects x of shape (N, D) and w of shape (D,), got x {tuple(x.shape)} and w {tuple(w.shape)}"
        )
    return step(x @ w - theta)  # (N, D) @ (D,) -> (N,)


@dataclass
class PerceptronResult:
    """What :func:`perceptron_train` returns.

    Attributes:
        w: final weights ``(D,)``.
        b: final bias (a float; the threshold is ``-b``).
        epochs: passes over the data until one pass made no mistake (or ``max_epochs``).
        converged: whether a pass with zero mistakes happened.
        history: ``(w, b)`` after every update, starting with the initial values; enough to
            draw the decision line as it moves.
        mistakes: number of misclassified points in each epoch.
    """

    w: torch.Tensor
    b: float
    epochs: int
    converged: bool
    history: list[tuple[torch.Tensor, float]] = field(default_factory=list)
    mistakes: list[int] = field(default_factory=list)


def perceptron_predict(x: torch.Tensor, w: torch.Tensor, b: float) -> torch.Tensor:
    """Perceptron output ``step(x @ w + b)`` as 0/1 floats ``(N,)`` for inputs ``(N, D)``."""
    return mp_neuron(x, w, -b)


def perceptron_train(
    X: torch.Tensor,
    y: torch.Tensor,
    lr: float = 1.0,
    max_epochs: int = 100,
    w0: torch.Tensor | None = None,
    b0: float = 0.0,
) -> PerceptronResult:
    """Rosenblatt's perceptron learning rule (Rosenblatt, 1958).

    Visit the points in order; for each, ``y_hat = step(w.x + b)`` and
    ``w += lr * (y - y_hat) * x``, ``b += lr * (y - y_hat)``. Nothing changes on a correct
    prediction. Stops after the first epoch with no mistake: the convergence theorem says
    this happens after finitely many updates when the data are linearly separable, and never
    happens when they are not (XOR).

    Args:
        X: inputs ``(N, D)``.
        y: targets ``(N,)`` in {0, 1}.
        lr: learning rate (> 0).
        max_epochs: give up after this many passes.
        w0: initial weights ``(D,)`` (zeros by default); ``b0`` the initial bias.

    Returns:
        A :class:`PerceptronResult`.
    """
    X = _as_float(X, "perceptron_train")
    if X.dim() != 2:
        raise ValueError(f"perceptron_train expects X of shape (N, D), got {tuple(X.shape)}")
    y = torch.as_tensor(y).to(X.dtype).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"perceptron_train expects y of shape ({X.shape[0]},), got {tuple(y.shape)}")
    if not bool(((y == 0) | (y == 1)).all()):
        raise ValueError("perceptron_train expects targets in {0, 1}")
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr}")
    w = torch.zeros(X.shape[1], dtype=X.dtype) if w0 is None else _as_float(w0, "w0", dtype=X.dtype).clone()
    if w.shape != (X.shape[1],):
        raise ValueError(f"w0 must have shape ({X.shape[1]},), got {tuple(w.shape)}")
    b = float(b0)
    history = [(w.clone(), b)]
    mistakes: list[int] = []
    for epoch in range(1, max_epochs + 1):
        errors = 0
        for xi, yi in zip(X, y):
            y_hat = float(xi @ w + b >= 0)
            delta = float(yi) - y_hat  # -1, 0 or +1
            if delta != 0:
                w = w + lr * delta * xi
                b = b + lr * delta
                history.append((w.clone(), b))
                errors += 1
        mistakes.append(errors)
        if errors == 0:
            return PerceptronResult(w, b, epoch, True, history, mistakes)
    return PerceptronResult(w, b, max_epochs, False, history, mistakes)


# --------------------------------------------------------------------------------------
# Activations and their derivatives
# --------------------------------------------------------------------------------------


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow for large ``|x|``.

    For ``x < 0`` we use the equal form ``exp(x) / (1 + exp(x))`` so ``exp`` never sees a
    large positive argument.
    """
    x = _as_float(x, "sigmoid")
    e = torch.exp(-x.abs())  # in (0, 1], never overflows
    return torch.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(x: torch.Tensor) -> torch.Tensor:
    """``sigmoid'(x) = s (1 - s)``; at most 1/4 (at 0), vanishing as ``|x|`` grows."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """``tanh(x) = (e^x - e^-x) / (e^x + e^-x) = 2 sigmoid(2x) - 1``, values in (-1, 1)."""
    x = _as_float(x, "tanh")
    return 2 * sigmoid(2 * x) - 1


def tanh_grad(x: torch.Tensor) -> torch.Tensor:
    """``tanh'(x) = 1 - tanh(x)^2``; 1 at 0, vanishing as ``|x|`` grows."""
    t = tanh(x)
    return 1 - t * t


def relu(x: torch.Tensor) -> torch.Tensor:
    """Rectified linear unit ``max(0, x)``: piecewise linear, not linear."""
    x = _as_float(x, "relu")
    return torch.clamp(x, min=0)


def relu_grad(x: torch.Tensor) -> torch.Tensor:
    """``relu'(x)``: 1 for ``x > 0``, 0 for ``x < 0``; we use 0 at ``x = 0`` as PyTorch does."""
    x = _as_float(x, "relu_grad")
    return (x > 0).to(x.dtype)


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise: the negative side keeps a gradient."""
    x = _as_float(x, "leaky_relu")
    return torch.where(x >= 0, x, negative_slope * x)


def leaky_relu_grad(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """1 for ``x > 0``, ``negative_slope`` for ``x <= 0`` (PyTorch's choice at 0)."""
    x = _as_float(x, "leaky_relu_grad")
    return torch.where(x > 0, torch.ones_like(x), torch.full_like(x, negative_slope))


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha (e^x - 1)`` otherwise."""
    x = _as_float(x, "elu")
    # expm1 is accurate near 0; clamping keeps the unused branch from overflowing for large x
    return torch.where(x > 0, x, alpha * torch.expm1(torch.clamp(x, max=0)))


def elu_grad(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """1 for ``x > 0``, ``alpha e^x`` for ``x <= 0``."""
    x = _as_float(x, "elu_grad")
    return torch.where(x > 0, torch.ones_like(x), alpha * torch.exp(torch.clamp(x, max=0)))


def softmax_naive(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``exp(z_i) / sum_j exp(z_j)`` exactly as written: overflows (inf/inf = nan) for large ``z``.

    Kept to show *why* :func:`softmax` subtracts the maximum first.
    """
    z = _as_float(z, "softmax_naive")
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)


def softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Numerically stable softmax along ``dim``.

    Softmax is unchanged by adding a constant to every logit, so we subtract the maximum:
    the largest exponent becomes ``e^0 = 1`` and nothing overflows.

    Args:
        z: logits of any shape, e.g. ``(B, C)``.
        dim: the class dimension.

    Returns:
        Probabilities of the same shape, summing to 1 along ``dim``.
    """
    z = _as_float(z, "softmax")
    shifted = z - z.amax(dim=dim, keepdim=True)  # (B, C) - (B, 1): max becomes 0
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """``log softmax(z) = z - logsumexp(z)``, with the log-sum-exp shifted by the maximum."""
    z = _as_float(z, "log_softmax")
    m = z.amax(dim=dim, keepdim=True)
    return z - m - torch.log(torch.exp(z - m).sum(dim=dim, keepdim=True))


# --------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------


def mse(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean squared error ``mean((y - y')^2)``; matches :func:`torch.nn.functional.mse_loss`."""
    pred, target = _same_shape(pred, target, "mse")
    return _reduce((pred - target) ** 2, reduction)


def mae(pred: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Mean absolute error ``mean(|y - y'|)``; matches :func:`torch.nn.functional.l1_loss`."""
    pred, target = _same_shape(pred, target, "mae")
    return _reduce((pred - target).abs(), reduction)


def huber(pred: torch.Tensor, target: torch.Tensor, delta: float = 1.0, reduction: str = "mean") -> torch.Tensor:
    """Huber loss: quadratic ``r^2 / 2`` for ``|r| <= delta``, linear ``delta (|r| - delta/2)`` beyond.

    Matches :func:`torch.nn.functional.huber_loss`. It behaves like MSE for small errors and
    like MAE (bounded gradient ``delta``) for outliers.
    """
    if delta <= 0:
        raise ValueError(f"huber expects delta > 0, got {delta}")
    pred, target = _same_shape(pred, target, "huber")
    r = (pred - target).abs()
    loss = torch.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))
    return _reduce(loss, reduction)


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy ``-sum_c y_c log softmax(z)_c`` from logits.

    Args:
        logits: ``(B, C)`` raw scores.
        target: class indices ``(B,)`` (int64), or a probability distribution ``(B, C)``
            (soft labels), as :func:`torch.nn.functional.cross_entropy` accepts.

    Returns:
        The loss, reduced over the batch.
    """
    logits = _as_float(logits, "cross_entropy")
    if logits.dim() != 2:
        raise ValueError(f"cross_entropy expects logits of shape (B, C), got {tuple(logits.shape)}")
    logp = log_softmax(logits, dim=1)  # (B, C)
    target = torch.as_tensor(target, device=logits.device)
    if target.dtype in (torch.int64, torch.int32, torch.int16, torch.uint8):
        if target.shape != logits.shape[:1]:
            raise ValueError(
                f"cross_entropy expects class indices of shape ({logits.shape[0]},), got {tuple(target.shape)}"
            )
        if target.numel() and (int(target.min()) < 0 or int(target.max()) >= logits.shape[1]):
            raise ValueError(f"class indices must lie in [0, {logits.shape[1] - 1}]")
        loss = -logp.gather(1, target.long().unsqueeze(1)).squeeze(1)  # (B, 1) -> (B,)
    else:
        if target.shape != logits.shape:
            raise ValueError(
                f"cross_entropy expects soft targets of shape {tuple(logits.shape)}, got {tuple(target.shape)}"
            )
        loss = -(target * logp).sum(dim=1)  # (B,)
    return _reduce(loss, reduction)


def entropy(p: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Shannon entropy ``-sum_c p_c log p_c`` (natural log; ``0 log 0 = 0``), reduced over ``dim``."""
    p = _as_float(p, "entropy")
    return -torch.xlogy(p, p).sum(dim=dim)


def kl_divergence(p: torch.Tensor, q: torch.Tensor, reduction: str = "batchmean") -> torch.Tensor:
    """Kullback-Leibler divergence ``KL(p || q) = sum_c p_c log(p_c / q_c)`` per row.

    ``p`` is the target distribution and ``q`` the prediction, both ``(B, C)``. PyTorch's
    :func:`torch.nn.functional.kl_div` computes the same from ``log q``:
    ``kl_div(q.log(), p, reduction="batchmean")``.

    Args:
        reduction: ``"batchmean"`` (sum over classes, mean over rows: the mathematical KL),
            ``"sum"``, or ``"none"`` (one value per row).
    """
    p, q = _same_shape(p, q, "kl_divergence")
    per_row = (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1)  # 0 log 0 = 0
    if reduction == "batchmean":
        return per_row.mean()
    if reduction not in ("sum", "none"):
        raise ValueError(f"reduction must be 'batchmean', 'sum' or 'none', got {reduction!r}")
    return _reduce(per_row, reduction)


def binary_cross_entropy(prob: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """``-[y log p + (1 - y) log(1 - p)]`` for probabilities ``p`` in [0, 1].

    Like :func:`torch.nn.functional.binary_cross_entropy` the logs are clamped at -100 so a
    confident wrong answer gives a large finite loss, not ``inf``.
    """
    prob, target = _same_shape(prob, target, "binary_cross_entropy")
    if bool(((prob < 0) | (prob > 1)).any()):
        raise ValueError("binary_cross_entropy expects probabilities in [0, 1]; pass logits to binary_cross_entropy_with_logits")
    log_p = torch.clamp(torch.log(prob), min=-100)
    log_1mp = torch.clamp(torch.log1p(-prob), min=-100)
    return _reduce(-(target * log_p + (1 - target) * log_1mp), reduction)


def binary_cross_entropy_with_logits(logits: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Binary cross-entropy from a logit ``z``: ``max(z, 0) - z y + log(1 + e^{-|z|})``.

    This rearrangement of ``-[y log s(z) + (1 - y) log(1 - s(z))]`` never overflows; it is
    what :func:`torch.nn.functional.binary_cross_entropy_with_logits` computes.
    """
    logits, target = _same_shape(logits, target, "binary_cross_entropy_with_logits")
    loss = torch.clamp(logits, min=0) - logits * target + torch.log1p(torch.exp(-logits.abs()))
    return _reduce(loss, reduction)


def hinge(score: torch.Tensor, target: torch.Tensor, margin: float = 1.0, reduction: str = "mean") -> torch.Tensor:
    """Binary hinge loss ``max(0, margin - y * y')`` with labels ``y`` in {-1, +1}.

    Zero once a point is on the right side with margin (``y y' >= margin``); for smaller
    ``y y'`` it *decreases* linearly as ``y y'`` grows. PyTorch has no binary hinge under
    this name; it equals ``2 * F.multi_margin_loss`` on the two scores ``(-y'/2, y'/2)``
    (see the tests), and scikit-learn's ``hinge_loss``.

    Args:
        score: real-valued predictions ``y'`` of shape ``(N,)``.
        target: labels ``(N,)`` in {-1, +1}.
    """
    score, target = _same_shape(score, target, "hinge")
    if not bool(((target == 1) | (target == -1)).all()):
        raise ValueError("hinge expects labels in {-1, +1}; map {0, 1} labels with 2 * y - 1")
    return _reduce(torch.clamp(margin - target * score, min=0), reduction)


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def _as_float(x: object, where: str, dtype: torch.dtype | None = None) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        try:
            x = torch.as_tensor(x, dtype=dtype or torch.get_default_dtype())
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(f"{where} expects a tensor (or array-like of numbers), got {type(x).__name__}") from err
    if dtype is not None and x.dtype != dtype:
        x = x.to(dtype)
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    return x


def _same_shape(a: object, b: object, where: str) -> tuple[torch.Tensor, torch.Tensor]:
    a = _as_float(a, where)
    b = _as_float(b, where, dtype=a.dtype)
    if a.shape != b.shape:
        raise ValueError(f"{where} expects prediction and target of the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return a, b


def _reduce(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
