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
def draw_dag(
    layers: Sequence[Sequence[str]],
    edges: Sequence[tuple[str, str]],
    ax=None,
    labels: dict[str, str] | None = None,
    edge_labels: dict[tuple[str, str], str] | None = None,
    title: str | None = None,
    colors: dict[str, str] | None = None,
):
    """Draw a layered directed graph with matplotlib boxes and arrows (no graphviz needed).

    Args:
        layers: node ids, one list per column, left to right.
        edges: ``(source, target)`` pairs of node ids.
        labels: text in each box (default: the id); may hold LaTeX in ``$...$``.
        edge_labels: text written at the middle of some edges.
        colors: face colour per node id.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * len(layers) + 1, 3.2))
    labels, edge_labels, colors = labels or {}, edge_labels or {}, colors or {}
    pos: dict[str, tuple[float, float]] = {}
    for x, layer in enumerate(layers):
        for i, node in enumerate(layer):
            pos[node] = (float(x), (len(layer) - 1) / 2.0 - i)
    ys = [y for _, y in pos.values()]
    ax.set_xlim(-0.6, len(layers) - 0.4)  # fix the limits first: box sizes are measured in data units
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    boxes = {}
    for node, (x, y) in pos.items():
        boxes[node] = ax.text(
            x, y, labels.get(node, node), ha="center", va="center", fontsize=9, zorder=3,
            bbox=dict(boxstyle="round,pad=0.35", fc=colors.get(node, "white"), ec="0.2"),
        )
    renderer = ax.figure.canvas.get_renderer()
    to_data = ax.transData.inverted()
    half: dict[str, tuple[float, float]] = {}
    for node, text in boxes.items():  # half width and height of each box in data units (+ the pad)
        (x0, y0), (x1, y1) = to_data.transform(text.get_window_extent(renderer).expanded(1.0, 1.0).get_points())
        pad_x, pad_y = to_data.transform((9, 9)) - to_data.transform((0, 0))
        half[node] = (abs(x1 - x0) / 2 + abs(pad_x), abs(y1 - y0) / 2 + abs(pad_y))

    def exit_point(node: str, toward: tuple[float, float]) -> tuple[float, float]:
        (x, y), (w, h) = pos[node], half[node]
        dx, dy = toward[0] - x, toward[1] - y
        t = min(w / abs(dx) if dx else np.inf, h / abs(dy) if dy else np.inf)
        return x + t * dx, y + t * dy  # where the segment leaves the box

    for a, b in edges:
        if a not in pos or b not in pos:
            raise KeyError(f"edge ({a!r}, {b!r}) names a node that is in no layer")
        ax.annotate(
            "", xy=exit_point(b, pos[a]), xytext=exit_point(a, pos[b]), zorder=1,
            arrowprops=dict(arrowstyle="-|>", color="0.35", lw=1.0, shrinkA=0, shrinkB=0),
        )
        if (a, b) in edge_labels:
            mx, my = (pos[a][0] + pos[b][0]) / 2, (pos[a][1] + pos[b][1]) / 2
            ax.text(mx, my + 0.08, edge_labels[(a, b)], ha="center", va="bottom", fontsize=8, color="tab:blue")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def draw_graph(root: Value, ax=None, title: str | None = None, fold_constants: bool = False):
    """Draw the computational graph behind ``root``: one box per node with its data and grad.

    Operation nodes sit at their depth (longest path from a leaf), ``root`` on the right; each
    leaf sits one column left of its first consumer, and every column is ordered by where its
    consumers are, which keeps arrows short. Operation nodes are shaded blue, leaves orange.

    Args:
        root: the output node; everything it depends on is drawn.
        ax: matplotlib axes to draw on (a new figure when ``None``).
        title: the figure title.
        fold_constants: if True, constants (unlabelled leaves, which Python numbers become, such
            as the ``0.5`` in ``0.5 * x``, and unlabelled nodes computed from constants alone) get
            no box of their own: their value is written into the operation that uses them
            (``* 0.5``), which keeps the graph readable.
    """
    import matplotlib.pyplot as plt

    order = topological_order([root])
    folded: dict[int, list[float]] = {}  # id(operation node) -> values of its folded constant inputs
    if fold_constants:
        is_constant: set[int] = set()  # unlabelled leaves, and unlabelled nodes computed only from them
        for n in order:  # inputs first
            if not n.label and all(id(p) in is_constant for p in n._parents):
                is_constant.add(id(n))
        if id(root) in is_constant:
            raise ValueError("fold_constants=True needs a root that is not a bare constant")
        for node in order:
            folded[id(node)] = [p.data for p in node._parents if id(p) in is_constant]
        order = [n for n in order if id(n) not in is_constant]
        kept = {id(n) for n in order}
        parents_of = {id(n): [p for p in n._parents if id(p) in kept] for n in order}
    else:
        parents_of = {id(n): list(n._parents) for n in order}
    consumers: dict[int, list[Value]] = {id(node): [] for node in order}
    for node in order:
        for parent in parents_of[id(node)]:
            consumers[id(parent)].append(node)
    depth: dict[int, int] = {}
    for node in order:  # inputs come first, so their depth is known
        if node._parents:
            depth[id(node)] = 1 + max((depth.get(id(p), 0) for p in parents_of[id(node)]), default=0)
    for node in order:
        if not node._parents:  # a leaf: as late as possible, next to its first consumer
            depth[id(node)] = min((depth[id(c)] for c in consumers[id(node)]), default=1) - 1
    n_layers = max(depth.values()) + 1
    columns: list[list[Value]] = [[] for _ in range(n_layers)]
    for node in order:
        columns[depth[id(node)]].append(node)
    height: dict[int, float] = {}
    for col in reversed(columns):  # right to left: consumers are placed before their inputs
        col.sort(key=lambda n: -np.mean([height[id(c)] for c in consumers[id(n)]]) if consumers[id(n)] else 0.0)
        for i, node in enumerate(col):
            height[id(node)] = (len(col) - 1) / 2.0 - i
    names = {id(node): f"n{i}" for i, node in enumerate(order)}
    labels, colors = {}, {}
    for node in order:
        name = names[id(node)]
        op = node.op + "".join(f" {c:g}" for c in folded.get(id(node), []))
        head = f"{node.label} ({op})" if node.label and op else node.label or op or "const"
        labels[name] = f"{head}\ndata {node.data:.3g}\ngrad {node.grad:.3g}"
        colors[name] = "#e8f0fe" if node.op else "#fff4e0"
    layers = [[names[id(n)] for n in col] for col in columns]
    edges = [(names[id(p)], names[id(node)]) for node in order for p in parents_of[id(node)]]
    if ax is None:
        tallest = max(len(col) for col in columns)
        _, ax = plt.subplots(figsize=(1.5 * n_layers + 1.0, 0.85 * tallest + 1.2))
    return draw_dag(layers, edges, ax=ax, labels=labels, colors=colors, title=title or "computational graph")
