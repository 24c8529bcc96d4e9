"""Optimisers written from their update rules: SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam, AdamW.

Each class follows the exact conventions of its ``torch.optim`` counterpart (where weight decay
enters, where ``eps`` sits, how the first momentum step is taken), so the two agree step for
step; ``tests/test_optim.py`` checks that over hundreds of steps.

Every optimiser works on a list of tensors that require gradients (e.g. ``model.parameters()``),
has ``step()`` and ``zero_grad()``, and so can be handed to :func:`dlbook.fit` in place of a
``torch.optim`` optimiser. Per-parameter state lives in ``self.state[i]`` (``i`` = index of the
parameter in ``self.params``).

:func:`fused_adam_supported` says whether ``torch.optim.Adam(..., fused=True)`` runs on a device, for
the notebooks and helpers that use torch's fused Adam where they can.

Notation (per parameter tensor): ``p`` the parameter, ``g`` its gradient, ``lr`` the learning
rate, ``t`` the step count starting at 1.
"""

from __future__ import annotations

import functools
import math
from typing import Iterable

import torch

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "AdamW", "fused_adam_supported"]


def _check_number(name: str, value: float, low: float = 0.0, high: float | None = None, high_open: bool = True) -> float:
    """Validate a hyper-parameter: a real number with ``low <= value`` (``< high`` or ``<= high``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return float(value)


def _check_betas(betas: tuple[float, float]) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    return (_check_number("beta1", betas[0], 0.0, 1.0), _check_number("beta2", betas[1], 0.0, 1.0))


class Optimizer:
    """Base class: holds the parameters, their state, ``zero_grad`` and the step loop.

    Args:
        params: tensors to optimise (leaf tensors with ``requires_grad=True``), e.g.
            ``model.parameters()``; parameters whose ``.grad`` is ``None`` are skipped by ``step``.
        lr: learning rate, ``>= 0``.
        weight_decay: L2 penalty coefficient, ``>= 0`` (added to the gradient, except in AdamW).

    Raises:
        TypeError: if a parameter is not a tensor.
        ValueError: if there are no parameters, a parameter does not require gradients,
            or a hyper-parameter is out of range.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float, weight_decay: float = 0.0):
        if isinstance(params, torch.Tensor):
            raise TypeError("params must be an iterable of tensors (e.g. [w, b] or model.parameters()), got a single Tensor")
        self.params: list[torch.Tensor] = list(params)
        if not self.params:
            raise ValueError("the optimiser got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, torch.Tensor):
                raise TypeError(f"parameter {i} must be a torch.Tensor, got {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"parameter {i} of shape {tuple(p.shape)} does not require gradients")
        self.lr = _check_number("lr", lr)
        self.weight_decay = _check_number("weight_decay", weight_decay)
        self.state: dict[int, dict[str, torch.Tensor | int]] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (set them to ``None``, or to zeros when ``set_to_none=False``)."""
        for p in self.params:
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.detach_()
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            state = self.state.setdefault(i, {"step": 0})
            state["step"] = int(state["step"]) + 1
            self._update(p, p.grad, state)

    def _update(self, p: torch.Tensor, g: torch.Tensor, state: dict) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        hp = {k: v for k, v in vars(self).items() if k not in ("params", "state")}
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in hp.items())})"


class SGD(Optimizer):
    """Plain stochastic gradient descent（随机梯度下降）, optionally with momentum.

    .. math::
        g \\leftarrow g + \\lambda p, \\qquad
        b_t = \\mu b_{t-1} + (1-\\tau) g \\; (b_1 = g), \\qquad
        p \\leftarrow p - \\mathrm{lr}\\, d,

    with ``d = g`` without momentum, ``d = b_t`` with momentum (heavy ball, Polyak 1964) and
    ``d = g + mu * b_t`` for Nesterov momentum in PyTorch's form
    (Sutskever et al., 2013, "On the importance of initialization and momentum").

    Args:
        params, lr, weight_decay: see :class:`Optimizer`.
        momentum: ``mu`` in ``[0, 1)``; 0 gives plain SGD.
        dampening: ``tau`` in ``[0, 1)``, scales the new gradient in the buffer (not the first step).
        nesterov: use the look-ahead form; needs ``momentum > 0`` and ``dampening == 0``.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        super().__init__(params, lr, weight_decay)
        self.momentum = _check_number("momentum", momentum, 0.0, 1.0)
        self.dampening = _check_number("dampening", dampening, 0.0, 1.0)
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"Nesterov momentum needs momentum > 0 and dampening == 0, got momentum={momentum}, dampening={dampening}"
            )
        self.nesterov = bool(nesterov)

    def _update(self, p, g, state):
        if self.weight_decay:
            g = g.add(p, alpha=self.weight_decay)  # L2 penalty (lambda/2)|p|^2 adds lambda*p
        if self.momentum:
            if "momentum_buffer" not in state:
                # torch starts the buffer at the first gradient itself (no dampening on step 1)
                buf = state["momentum_buffer"] = g.clone()
            else:
                buf = state["momentum_buffer"]
                buf.mul_(self.momentum).add_(g, alpha=1 - self.dampening)
            g = g.add(buf, alpha=self.momentum) if self.nesterov else buf
        p.add_(g, alpha=-self.lr)


class Momentum(SGD):
    """SGD with (heavy-ball) momentum（动量）: ``b = mu b + g``, ``p -= lr b`` (see :class:`SGD`).

    Seed 001 writes it as ``v = mu v - lr g; p += v``; with a constant ``lr`` the two are the
    same sequence of parameters (``v = -lr b``).
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, momentum: float = 0.9,
                 weight_decay: float = 0.0):
        if momentum == 0:
            raise ValueError("Momentum needs momentum > 0; use SGD for plain gradient descent")
        super().__init__(params, lr, momentum=momentum, weight_decay=weight_decay)


class Nesterov(SGD):
    """Nesterov accelerated gradient（Nesterov 加速梯度）in PyTorch's form.

    .. math:: b_t = \\mu b_{t-1} + g_t, \\qquad p \\leftarrow p - \\mathrm{lr}\\,(g_t + \\mu b_t)

    This is the look-ahead method of Nesterov (1983) rewritten in terms of the current
    parameters (Sutskever et al., 2013).
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, momentum: float = 0.9,
                 weight_decay: float = 0.0):
        super().__init__(params, lr, momentum=momentum, weight_decay=weight_decay, nesterov=True)


class AdaGrad(Optimizer):
    """AdaGrad（自适应梯度）: per-coordinate steps scaled by the root of the *sum* of squared gradients.

    .. math::
        s_t = s_{t-1} + g_t^2, \\qquad
        p \\leftarrow p - \\frac{\\mathrm{lr}_t}{\\sqrt{s_t} + \\epsilon}\\, g_t, \\qquad
        \\mathrm{lr}_t = \\frac{\\mathrm{lr}}{1 + (t-1)\\,\\mathrm{lr\\_decay}}

    ``s_0`` is ``initial_accumulator_value`` and ``eps`` sits outside the root, as in torch.
    The sum never decays, so the effective step shrinks like ``1/sqrt(t)``.
    Reference: Duchi, Hazan and Singer (2011), "Adaptive subgradient methods".
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0, eps: float = 1e-10):
        super().__init__(params, lr, weight_decay)
        self.lr_decay = _check_number("lr_decay", lr_decay)
        self.initial_accumulator_value = _check_number("initial_accumulator_value", initial_accumulator_value)
        self.eps = _check_number("eps", eps)

    def _update(self, p, g, state):
        if "sum" not in state:
            state["sum"] = torch.full_like(p, self.initial_accumulator_value)
        t = state["step"]
        if self.weight_decay:
            g = g.add(p, alpha=self.weight_decay)
        clr = self.lr / (1 + (t - 1) * self.lr_decay)
        state["sum"].addcmul_(g, g)  # s += g * g
        p.addcdiv_(g, state["sum"].sqrt().add_(self.eps), value=-clr)


class RMSprop(Optimizer):
    """RMSprop: divide by the root of an exponential moving average of squared gradients.

    .. math::
        v_t = \\alpha v_{t-1} + (1-\\alpha) g_t^2, \\qquad
        p \\leftarrow p - \\mathrm{lr}\\, \\frac{g_t}{\\sqrt{v_t} + \\epsilon}

    torch's options: ``centered`` subtracts the squared running mean of ``g`` inside the root;
    ``momentum`` keeps a buffer ``b = mu b + g / (sqrt(v) + eps)`` and steps ``p -= lr b``.
    Reference: Tieleman and Hinton (2012), Coursera lecture 6.5.
    """

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, lr, weight_decay)
        self.alpha = _check_number("alpha", alpha, 0.0, 1.0)
        self.eps = _check_number("eps", eps)
        self.momentum = _check_number("momentum", momentum, 0.0, 1.0)
        self.centered = bool(centered)

    def _update(self, p, g, state):
        if "square_avg" not in state:
            state["square_avg"] = torch.zeros_like(p)
            if self.momentum:
                state["momentum_buffer"] = torch.zeros_like(p)
            if self.centered:
                state["grad_avg"] = torch.zeros_like(p)
        if self.weight_decay:
            g = g.add(p, alpha=self.weight_decay)
        v = state["square_avg"]
        v.mul_(self.alpha).addcmul_(g, g, value=1 - self.alpha)
        if self.centered:
            m = state["grad_avg"]
            m.mul_(self.alpha).add_(g, alpha=1 - self.alpha)
            denom = v.addcmul(m, m, value=-1).sqrt_().add_(self.eps)  # sqrt(E[g^2] - E[g]^2) + eps
        else:
            denom = v.sqrt().add_(self.eps)  # eps outside the root, as in torch
        if self.momentum:
            buf = state["momentum_buffer"]
            buf.mul_(self.momentum).addcdiv_(g, denom)
            p.add_(buf, alpha=-self.lr)
        else:
            p.addcdiv_(g, denom, value=-self.lr)


class Adam(Optimizer):
    """Adam: momentum on the first moment, RMSprop-style second moment, both bias-corrected.

    .. math::
        m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t, \\qquad
        v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2, \\\\
        \\hat m_t = \\frac{m_t}{1-\\beta_1^t}, \\qquad \\hat v_t = \\frac{v_t}{1-\\beta_2^t}, \\qquad
        p \\leftarrow p - \\mathrm{lr}\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon}

    ``weight_decay`` here is an L2 penalty added to ``g`` (torch's ``Adam``), so it is rescaled
    by ``1/sqrt(v)`` like the rest of the gradient; :class:`AdamW` decouples it.
    ``amsgrad`` uses the running maximum of ``v_t`` in the denominator.
    Reference: Kingma and Ba (2015), "Adam: a method for stochastic optimization".
    """

    decoupled = False

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False):
        super().__init__(params, lr, weight_decay)
        self.betas = _check_betas(betas)
        self.eps = _check_number("eps", eps)
        self.amsgrad = bool(amsgrad)

    def _update(self, p, g, state):
        beta1, beta2 = self.betas
        if "exp_avg" not in state:
            state["exp_avg"] = torch.zeros_like(p)
            state["exp_avg_sq"] = torch.zeros_like(p)
            if self.amsgrad:
                state["max_exp_avg_sq"] = torch.zeros_like(p)
        t = state["step"]
        if self.weight_decay:
            if self.decoupled:
                p.mul_(1 - self.lr * self.weight_decay)  # AdamW: shrink p directly, outside the adaptive scaling
            else:
                g = g.add(p, alpha=self.weight_decay)  # Adam + L2: the penalty's gradient joins g
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.lerp_(g, 1 - beta1)  # m = beta1 m + (1 - beta1) g
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        if self.amsgrad:
            torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        bias1 = 1 - beta1**t
        bias2 = 1 - beta2**t
        # torch's arrangement: lr/bias1 * m / (sqrt(v)/sqrt(bias2) + eps) == lr * m_hat / (sqrt(v_hat) + eps)
        denom = (v.sqrt() / math.sqrt(bias2)).add_(self.eps)
        p.addcdiv_(m, denom, value=-self.lr / bias1)


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay（解耦权重衰减）.

    .. math:: p \\leftarrow p - \\mathrm{lr}\\,\\lambda\\, p, \\quad\\text{then the Adam step with } g \\text{ unchanged}

    Unlike L2 in :class:`Adam`, the decay is not divided by ``sqrt(v_hat)``: every weight shrinks
    by the same factor ``1 - lr * lambda`` per step. Default ``weight_decay=1e-2`` as in torch.
    Reference: Loshchilov and Hutter (2019), "Decoupled weight decay regularization".
    """

    decoupled = True

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


def fused_adam_supported(device: torch.device | str, dtype: torch.dtype = torch.float32) -> bool:
    """Whether ``torch.optim.Adam(params, fused=True)`` can update ``dtype`` parameters on ``device``.

    Fused Adam computes the same update as the default implementation in one kernel call for all
    the parameters, instead of a loop over them: cheaper for small networks, equal to rounding (a
    long run drifts apart in its last digits). Which devices have the kernel depends on the torch
    build: torch 2.13, the version the course's stored outputs are made with, accepts floating-point
    parameters on ``cpu``, ``cuda``, ``mps``, ``xpu``, ``hpu``, ``mtia`` and a registered
    ``privateuse1`` backend, and raises ``RuntimeError`` elsewhere (``meta``, for one); a kernel may
    also lack a dtype on a device (bfloat16 on ``mps`` in some versions). Rather than a list of device
    names that goes stale with the next torch, this function asks the installed torch: it takes one
    fused Adam step on a one-element tensor of ``dtype`` on ``device`` and reports whether that
    worked. The answer is cached per device and dtype. A notebook that runs on a laptop's GPU, in
    Colab and on a CPU in CI can then write ``fused=fused_adam_supported(device)``.

    Args:
        device: a ``torch.device`` or a device string (``"cpu"``, ``"cuda"``, ``"mps"``, ...).
        dtype: the parameters' floating-point dtype (default float32).

    Returns:
        True when a fused Adam step ran on ``device`` for ``dtype``, else False.

    Raises:
        TypeError: if ``device`` is not a device or a string, or ``dtype`` is not a floating-point dtype.

    Reference: Kingma and Ba (2015), "Adam: a method for stochastic optimization"; torch's
    ``torch.optim.Adam`` documentation (``fused``).
    """
    if isinstance(device, str):
        device = torch.device(device)  # an unknown name raises torch's own RuntimeError
    if not isinstance(device, torch.device):
        raise TypeError(f"device must be a torch.device or a string, got {device!r} ({type(device).__name__})")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    return _fused_adam_step_runs(str(device), dtype)


@functools.lru_cache(maxsize=None)
def _fused_adam_step_runs(device: str, dtype: torch.dtype) -> bool:
    try:
        p = torch.zeros(1, device=device, dtype=dtype, requires_grad=True)
        p.grad = torch.ones_like(p)
        torch.optim.Adam([p], fused=True).step()
    except (RuntimeError, NotImplementedError):  # torch raises RuntimeError for an unsupported device or dtype
        return False
    return True
