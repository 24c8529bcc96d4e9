"""Model-agnostic meta-learning (MAML) on top of ``torch.func``.

MAML (Finn, Abbeel and Levine, 2017, "Model-Agnostic Meta-Learning for Fast Adaptation of
Deep Networks") learns an initialisation ``theta`` such that a few gradient steps on a new
task's support set give low loss on its query set:

    theta'_i = theta - alpha * grad L_support_i(theta)          (inner loop, per task)
    theta   <- theta - beta * grad_theta sum_i L_query_i(theta'_i)  (outer loop)

The outer gradient flows through ``theta'_i``, so it contains the Hessian of the support loss
(second-order MAML). First-order MAML (Finn et al., 2017, section 5.2; analysed by Nichol,
Achiam and Schulman, 2018) drops that term and uses the query gradient at ``theta'_i``.

Two implementations that must agree (``tests/test_meta.py`` checks them):

* :func:`inner_step`, :func:`adapt` and :func:`meta_gradient`: an explicit loop over tasks with
  ``torch.autograd.grad(create_graph=True)``;
* :func:`vmap_meta_loss`: every task at once with ``torch.func.vmap`` over ``torch.func.grad``.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

__all__ = [
    "Params", "params_of", "task_loss", "inner_step", "adapt", "meta_gradient", "vmap_meta_loss", "finite_difference",
    "prototype_head_init",
]

Params = dict[str, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def params_of(model: nn.Module) -> Params:
    """The model's parameters as a ``{name: tensor}`` dict (the tensors themselves, not copies)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return dict(model.named_parameters())


def _check_params(model: nn.Module, params: Mapping[str, torch.Tensor]) -> None:
    expected = {k: tuple(v.shape) for k, v in model.named_parameters()}
    got = {k: tuple(v.shape) for k, v in params.items()}
    if expected != got:
        raise ValueError(f"params must match the model's parameters {expected}, got {got}")


def task_loss(model: nn.Module, params: Mapping[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor, loss_fn: LossFn) -> torch.Tensor:
    """``loss_fn(model(x; params), y)``: the model run with ``params`` in place of its own."""
    return loss_fn(functional_call(model, dict(params), (x,)), y)


def inner_step(
    model: nn.Module,
    params: Mapping[str, torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: LossFn,
    lr: float,
    create_graph: bool = False,
) -> Params:
    """One gradient step on a support set: ``params - lr * grad loss(params)``.

    Args:
        model: the network whose forward pass is used (its own parameters are not touched).
        params: ``{name: tensor}``; must require gradients.
        x, y: the support set, e.g. ``(K, 1)`` and ``(K, 1)``.
        loss_fn: e.g. ``F.mse_loss``.
        lr: the inner learning rate ``alpha``.
        create_graph: keep the step differentiable (second-order MAML); ``False`` gives a step
            whose result does not depend on ``params`` through the gradient (first-order).

    Returns:
        The adapted parameters, a new dict.
    """
    _check_params(model, params)
    names = list(params)
    loss = task_loss(model, params, x, y, loss_fn)
    grads = torch.autograd.grad(loss, [params[n] for n in names], create_graph=create_graph)
    return {n: params[n] - lr * g for n, g in zip(names, grads)}


def adapt(
    model: nn.Module,
    params: Mapping[str, torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: LossFn,
    lr: float,
    steps: int,
    create_graph: bool = False,
) -> Params:
    """``steps`` successive :func:`inner_step` s on the same support set (``steps=0``: ``params``)."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative int, got {steps!r}")
    params = dict(params)
    for _ in range(steps):
        if not create_graph:
            # a fresh leaf per step: the next gradient is taken at the new point, nothing more
            params = {k: v.detach().requires_grad_(True) for k, v in params.items()}
        params = inner_step(model, params, x, y, loss_fn, lr, create_graph=create_graph)
    return params


def meta_gradient(
    model: nn.Module,
    params: Mapping[str, torch.Tensor],
    tasks: Sequence[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]],
    loss_fn: LossFn,
    inner_lr: float,
    steps: int = 1,
    first_order: bool = False,
) -> tuple[torch.Tensor, Params]:
    """The MAML meta-loss and its gradient, task by task with ``torch.autograd.grad``.

    Args:
        tasks: ``(x_support, y_support, x_query, y_query)`` per task.
        first_order: drop the second-order term: the gradient of each task is the query
            gradient at its adapted parameters.

    Returns:
        ``(mean query loss, {name: d meta-loss / d params[name]})``.
    """
    if len(tasks) == 0:
        raise ValueError("meta_gradient needs at least one task")
    names = list(params)
    total = torch.zeros(())
    grads = {n: torch.zeros_like(params[n]) for n in names}
    for x_s, y_s, x_q, y_q in tasks:
        if first_order:
            adapted = adapt(model, params, x_s, y_s, loss_fn, inner_lr, steps, create_graph=False)
            adapted = {k: v.detach().requires_grad_(True) for k, v in adapted.items()}
            loss = task_loss(model, adapted, x_q, y_q, loss_fn)
            g = torch.autograd.grad(loss, [adapted[n] for n in names])
        else:
            adapted = adapt(model, params, x_s, y_s, loss_fn, inner_lr, steps, create_graph=True)
            loss = task_loss(model, adapted, x_q, y_q, loss_fn)
            g = torch.autograd.grad(loss, [params[n] for n in names])
        total = total + loss.detach()
        for n, gi in zip(names, g):
            grads[n] += gi / len(tasks)
    return total / len(tasks), grads


def vmap_meta_loss(
    model: nn.Module,
    params: Mapping[str, torch.Tensor],
    x_support: torch.Tensor,
    y_support: torch.Tensor,
    x_query: torch.Tensor,
    y_query: torch.Tensor,
    loss_fn: LossFn,
    inner_lr: float,
    steps: int = 1,
    first_order: bool = False,
    init: Callable[[Params, torch.Tensor, torch.Tensor], Params] | None = None,
) -> torch.Tensor:
    """The MAML meta-loss of a batch of tasks, adapted all at once with ``vmap`` and ``grad``.

    Calling ``.backward()`` on the result (or ``torch.autograd.grad``) gives the second-order
    meta-gradient, or the first-order one when ``first_order=True`` (the inner gradients are
    detached, so nothing flows through them).

    Args:
        x_support, y_support: ``(T, K, ...)``; x_query, y_query: ``(T, Q, ...)``.
        init: ``init(params, x_support, y_support) -> params`` for one task (called under
            ``vmap``): the task's starting point of the inner loop, computed from the shared
            parameters and its support set, e.g. :func:`prototype_head_init` (Proto-MAML,
            Triantafillou et al., 2020). The meta-gradient flows through it. First order only:
            with ``first_order=False``, ``torch.func.grad`` taken at a start computed inside
            ``vmap`` gave a second-order gradient that disagrees with finite differences (torch
            2.13), so that combination raises. ``None``: every task starts from ``params`` (MAML).

    Returns:
        The mean query loss over the ``T`` tasks, a 0-dim tensor.
    """
    _check_params(model, params)
    if init is not None and not first_order:
        raise ValueError("init is supported with first_order=True only (see the docstring)")
    if not (x_support.shape[0] == y_support.shape[0] == x_query.shape[0] == y_query.shape[0]):
        raise ValueError(
            "support and query tensors must share the task dimension T, got "
            f"{tuple(x_support.shape)}, {tuple(y_support.shape)}, {tuple(x_query.shape)}, {tuple(y_query.shape)}"
        )

    def loss_at(p: Params, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return loss_fn(functional_call(model, p, (x,)), y)

    def one_task(p: Params, xs: torch.Tensor, ys: torch.Tensor, xq: torch.Tensor, yq: torch.Tensor) -> torch.Tensor:
        if init is not None:
            p = dict(init(p, xs, ys))
        for _ in range(steps):
            g = grad(loss_at)(p, xs, ys)
            if first_order:
                g = {k: v.detach() for k, v in g.items()}
            p = {k: p[k] - inner_lr * g[k] for k in p}
        return loss_at(p, xq, yq)

    losses = vmap(one_task, in_dims=(None, 0, 0, 0, 0))(dict(params), x_support, y_support, x_query, y_query)  # (T,)
    return losses.mean()


def finite_difference(
    f: Callable[[], torch.Tensor], tensor: torch.Tensor, index: tuple[int, ...], eps: float = 1e-3
) -> float:
    """Central finite difference ``(f(t + eps e) - f(t - eps e)) / (2 eps)`` for one entry of ``tensor``.

    ``tensor`` is modified in place and restored; ``f`` must read it. Use float64 for accuracy.
    """
    old = tensor[index].item()
    values = []
    for shifted in (old + eps, old - eps):
        with torch.no_grad():  # edit the leaf in place without recording it
            tensor[index] = shifted
        values.append(f().item())  # f may need autograd (an inner loop), so it runs outside no_grad
    with torch.no_grad():
        tensor[index] = old
    plus, minus = values
    return (plus - minus) / (2 * eps)


def prototype_head_init(
    model: nn.Sequential, n_way: int
) -> Callable[[Params, torch.Tensor, torch.Tensor], Params]:
    """Proto-MAML's per-task start: the output layer written down from the support prototypes.

    Triantafillou et al. (2020, "Meta-Dataset") initialise the last linear layer of
    a MAML classifier, for each task, as the prototypical-network head ``W = 2 c``,
    ``b = -||c||^2`` (``c``: the ``(N, D)`` prototypes, the mean embeddings of the support set
    by class), then adapt the whole network in the inner loop. The returned function is written
    with one-hot products only, so it runs under ``vmap`` (pass it as ``init`` to
    :func:`vmap_meta_loss`); it does not check that every class has a support example.

    Args:
        model: a ``Sequential`` whose last module is an ``nn.Linear(D, n_way)`` on top of an
            embedding trunk ``model[:-1]`` mapping ``(S, ...)`` to ``(S, D)``.
        n_way: ``N``; support labels are ``0..N-1``.

    Returns:
        ``init(params, x_support, y_support) -> params``, with the last layer's weight ``(N, D)``
        and bias ``(N,)`` replaced (the other entries are passed through).
    """
    if not isinstance(model, nn.Sequential) or not isinstance(model[-1], nn.Linear):
        raise TypeError(f"model must be a Sequential ending in nn.Linear, got {type(model).__name__}")
    if model[-1].out_features != n_way:
        raise ValueError(f"the last layer must have n_way={n_way} outputs, got {model[-1].out_features}")
    head = list(model._modules)[-1]
    trunk = model[:-1]  # the same module names as in model, so params' keys work for it

    def init(params: Params, x_support: torch.Tensor, y_support: torch.Tensor) -> Params:
        trunk_params = {k: v for k, v in params.items() if not k.startswith(head + ".")}
        emb = functional_call(trunk, trunk_params, (x_support,))  # (S, D)
        one_hot = (y_support[:, None] == torch.arange(n_way, device=y_support.device)).to(emb.dtype)  # (S, N)
        protos = (one_hot.T @ emb) / one_hot.sum(0)[:, None]  # (N, S) @ (S, D) -> (N, D)
        return {**params, f"{head}.weight": 2 * protos, f"{head}.bias": -(protos**2).sum(1)}

    return init
