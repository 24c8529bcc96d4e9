"""A tiny reverse-mode automatic differentiation（反向模式自动微分）engine on scalars.

Every arithmetic operation on :class:`Value` objects records its inputs and a closure that
applies the chain rule（链式法则）locally: given d(output)/d(self), add
d(output)/d(input) = d(output)/d(self) * d(self)/d(input) into each input's ``grad``.
:meth:`Value.backward` orders the graph topologically and runs the closures from the output
back to the leaves, so every node's gradient is complete before it is passed on.

This is backpropagation as in Rumelhart, Hinton & Williams (1986), *Learning representations by
back-propagating errors*, Nature 323, generalised to any graph of differentiable operations
(the same idea as ``torch.autograd``, on one number per node instead of one tensor).
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Iterable, Sequence

import numpy as np

__all__ = ["Value", "grad", "topological_order", "draw_dag", "draw_graph"]


def _as_float(data: object, what: str = "Value") -> float:
    """A Python float from a real number or a one-element array; anything else is a clear error."""
    if isinstance(data, bool):
        return float(data)
    if isinstance(data, Real):
        return float(data)
    shape = getattr(data, "shape", None)
    if shape is not None:  # NumPy arrays, torch tensors
        size = int(np.prod(shape)) if len(shape) else 1
        if size != 1:
            raise TypeError(f"{what} holds one scalar; got an array of shape {tuple(shape)}")
        return float(data.reshape(-1)[0]) if len(shape) else float(data)
    raise TypeError(f"{what} expects a real number, got {type(data).__name__}")


class Value:
    """One scalar node of a computational graph（计算图）.

    Args:
        data: the number this node holds (an int, a float, or a one-element array).
        label: an optional name shown by :func:`draw_graph`.

    Attributes:
        data: the value (float).
        grad: d(output)/d(this node), filled in by :meth:`backward` (0.0 before).
    """

    __slots__ = ("data", "grad", "label", "op", "_parents", "_backward")

    def __init__(self, data: object, label: str = "", _parents: tuple["Value", ...] = (), op: str = "") -> None:
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self.op = op
        self._parents = _parents
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.4g}, grad={self.grad:.4g})"

    @staticmethod
    def _wrap(other: object) -> "Value":
        return other if isinstance(other, Value) else Value(_as_float(other, "an operand of Value"))

    # ----- binary operations ------------------------------------------------------------------
    def __add__(self, other: object) -> "Value":
        other = self._wrap(other)
        out = Value(self.data + other.data, _parents=(self, other), op="+")

        def backward() -> None:  # d(a+b)/da = d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = backward
        return out

    def __mul__(self, other: object) -> "Value":
        other = self._wrap(other)
        out = Value(self.data * other.data, _parents=(self, other), op="*")

        def backward() -> None:  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out

    def __pow__(self, exponent: object) -> "Value":
        if isinstance(exponent, Value) or not isinstance(exponent, Real) or isinstance(exponent, bool):
            raise TypeError(
                f"Value ** p needs a constant real exponent p, got {type(exponent).__name__}; "
                "write (p * x.log()).exp() for a variable exponent"
            )
        p = float(exponent)
        if self.data == 0.0 and p < 1.0:
            raise ZeroDivisionError(f"0 ** {p}: the power or its derivative is infinite at 0")
        if self.data < 0.0 and not p.is_integer():
            raise ValueError(f"({self.data}) ** {p} is not real: a negative base needs an integer exponent")
        out = Value(self.data**p, _parents=(self,), op=f"**{p:g}")

        def backward() -> None:  # d(x^p)/dx = p x^(p-1)
            self.grad += p * self.data ** (p - 1.0) * out.grad

        out._backward = backward
        return out

    def __neg__(self) -> "Value":
        return self * -1.0

    def __sub__(self, other: object) -> "Value":
        return self + (-self._wrap(other))

    def __truediv__(self, other: object) -> "Value":
        other = self._wrap(other)
        if other.data == 0.0:
            raise ZeroDivisionError(f"division of {self.data:g} by a Value holding 0")
        return self * other**-1.0

    def __radd__(self, other: object) -> "Value":
        return self + other

    def __rmul__(self, other: object) -> "Value":
        return self * other

    def __rsub__(self, other: object) -> "Value":
        return self._wrap(other) - self

    def __rtruediv__(self, other: object) -> "Value":
        return self._wrap(other) / self

    # ----- unary functions --------------------------------------------------------------------
    def _unary(self, value: float, local_grad: float, op: str) -> "Value":
        out = Value(value, _parents=(self,), op=op)

        def backward() -> None:  # chain rule: d out / d self = local_grad
            self.grad += local_grad * out.grad

        out._backward = backward
        return out

    def exp(self) -> "Value":
        e = math.exp(self.data)
        return self._unary(e, e, "exp")  # d e^x / dx = e^x

    def log(self) -> "Value":
        if self.data <= 0.0:
            raise ValueError(f"log needs a positive input, got {self.data:g}")
        return self._unary(math.log(self.data), 1.0 / self.data, "log")

    def tanh(self) -> "Value":
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")  # tanh' = 1 - tanh^2

    def sigmoid(self) -> "Value":
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        return self._unary(s, s * (1.0 - s), "sigmoid")  # f' = f (1 - f)

    def relu(self) -> "Value":
        x = self.data
        return self._unary(max(x, 0.0), 1.0 if x > 0 else 0.0, "relu")  # torch's choice: relu'(0) = 0

    # ----- reverse pass -----------------------------------------------------------------------
    def backward(self, grad: object = None) -> None:
        """Fill in ``grad`` of every node this one depends on: d(self)/d(node).

        Args:
            grad: the seed d(loss)/d(self). ``None`` means 1.0: this node is the scalar loss. Pass
                a number to back-propagate a gradient arriving from outside the graph.

        As in torch, the gradients of leaves (parameters, inputs) accumulate with ``+=`` over
        calls: that is how a sum of per-sample losses gets its gradient one sample at a time.
        Call :meth:`zero_grad` (or set ``p.grad = 0.0``) before a new step.
        """
        seed = 1.0 if grad is None else _as_float(grad, "the seed gradient of backward")
        order = topological_order([self])
        for node in order:
            if node._parents:  # intermediate results start from 0; leaves accumulate, as in torch
                node.grad = 0.0
        self.grad += seed
        for node in reversed(order):  # outputs first: a node's grad is complete before it is passed on
            node._backward()

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 in this node and every node it depends on."""
        for node in topological_order([self]):
            node.grad = 0.0

    @property
    def parents(self) -> tuple["Value", ...]:
        """The inputs of the operation that produced this node (empty for a leaf)."""
        return self._parents


def topological_order(roots: Iterable[Value]) -> list[Value]:
    """Every node the roots depend on, each after all of its inputs (depth-first post-order)."""
    order: list[Value] = []
    seen: set[int] = set()
    for root in roots:
        if not isinstance(root, Value):
            raise TypeError(f"topological_order expects Value nodes, got {type(root).__name__}")
        stack: list[tuple[Value, bool]] = [(root, False)]
        while stack:  # iterative, so deep graphs do not hit Python's recursion limit
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for parent in node._parents:
                if id(parent) not in seen:
                    stack.append((parent, False))
    return order


def grad(
    outputs: Value | Sequence[Value],
    inputs: Sequence[Value],
    grad_outputs: Sequence[float] | None = None,
) -> list[float]:
    """Vector-Jacobian product, like ``torch.autograd.grad``: sum_o grad_outputs[o] * d outputs[o] / d inputs.

    Args:
        outputs: one ``Value`` or a list of them (a vector output).
        inputs: the leaves whose gradients are wanted.
        grad_outputs: one seed per output; may be omitted only for a single (scalar) output.

    Raises:
        RuntimeError: a vector output without ``grad_outputs`` (torch: "grad can be implicitly
            created only for scalar outputs").
        ValueError: ``grad_outputs`` of the wrong length.
    """
    outs = [outputs] if isinstance(outputs, Value) else list(outputs)
    if not outs:
        raise ValueError("grad needs at least one output")
    if grad_outputs is None:
        if len(outs) != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs: got {len(outs)} outputs; "
                "pass grad_outputs with one seed per output"
            )
        seeds = [1.0]
    else:
        seeds = [_as_float(s, "a seed in grad_outputs") for s in grad_outputs]
        if len(seeds) != len(outs):
            raise ValueError(f"grad_outputs must have one seed per output: {len(outs)} outputs, {len(seeds)} seeds")
    order = topological_order(outs)
    saved = [node.grad for node in order]  # like torch.autograd.grad, leave every .grad as it was
    for node in order:
        node.grad = 0.0
    for out, s in zip(outs, seeds):
        out.grad += s
    for node in reversed(order):
        node._backward()
    in_graph = {id(node): node.grad for node in order}
    result = [in_graph.get(id(x), 0.0) for x in inputs]  # an input the outputs ignore has gradient 0
    for node, g in zip(order, saved):
        node.grad = g
    return result


# ----- drawing ------------------------------------------------------------------------------------
# The drawing code lives with the other diagrams in dlbook.diagram; the names stay here too, as
# chapter 2's notebooks call them (autograd.draw_graph, autograd.draw_dag).
from .diagram import draw_dag, draw_graph  # noqa: E402
