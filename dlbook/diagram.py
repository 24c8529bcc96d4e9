"""Block diagrams of networks, drawn from the model object itself.

:func:`architecture_graph` runs one forward pass of a single zero input and records what
happens: every *unit* module (a module at the chosen nesting ``depth``, or a shallower leaf)
becomes a box with its output shape, and every tensor operation that runs *between* units
(``x + shortcut``, ``torch.cat``, a functional ``F.relu``) becomes a node of its own, so
residual additions and concatenations appear as they are computed. Edges follow the tensors:
a node's parents are the nodes that produced its inputs. Modules are seen through forward
hooks and operations through a :class:`torch.overrides.TorchFunctionMode`, so any forward
(Python control flow, input checks, tuple states) can be drawn; run it on the ``meta`` device
to draw ImageNet-sized models without allocating their weights.

:func:`draw_architecture` lays the graph out top to bottom with matplotlib: a chain is one
column, parallel branches (Inception) get a column each and meet in a ``concat`` node, and a
shortcut that skips over boxes of its own column (ResNet) is drawn as a curved arrow into the
``+`` node. Because the picture is computed from the code, it cannot disagree with it.

References:
    Sugiyama, Tagawa and Toda, "Methods for visual understanding of hierarchical system
    structures", 1981 (layered drawing of directed graphs; the layers here are longest paths).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .utils import eval_mode

if TYPE_CHECKING:
    from .autograd import Value

__all__ = ["Node", "ArchGraph", "DEFAULT_FOLD", "architecture_graph", "draw_architecture", "draw_architectures",
           "draw_dag", "draw_graph"]

# Unit types (class names) and functional operations folded into the box before them by default:
# the box reads "Conv 3x3, 64 · BN · ReLU" instead of three boxes.
DEFAULT_FOLD: tuple[str, ...] = (
    "BatchNorm1d", "BatchNorm2d", "ReLU", "relu", "Sigmoid", "sigmoid", "Tanh", "tanh", "ScaledTanh",
    "GELU", "gelu", "Dropout", "dropout", "Flatten", "flatten",
)

# Operations that never make a node: they create new tensors from a shape, or only copy.
_IGNORED_OPS = {"new_zeros", "new_ones", "new_empty", "new_full", "new_tensor", "zeros_like", "ones_like",
                "empty_like", "full_like", "rand_like", "randn_like", "detach", "requires_grad_", "size", "dim",
                "numel", "get", "set_"}
# Operations drawn as a pass-through (no node) when they have one input.
_PASS_OPS = {"contiguous", "clone", "to", "float", "double", "type_as", "cpu", "cuda"}
_ADD_OPS = {"add", "iadd", "radd"}
_CAT_OPS = {"cat", "concat", "concatenate"}
_MUL_OPS = {"mul", "imul", "rmul"}
_OP_LABELS = {"getitem": "slice", "pad": "zero-pad", "chunk": "split", "relu": "ReLU", "sigmoid": "σ", "gelu": "GELU",
              "softmax": "softmax", "dropout": "Dropout"}


@dataclass
class Node:
    """One box of the diagram.

    Attributes:
        id: position in the graph's ``nodes`` list.
        label: text of the box, e.g. ``"Conv 5×5, 6"``.
        kind: ``"input"``, ``"module"``, ``"op"``, ``"add"``, ``"cat"`` or ``"mul"``.
        shape: output shape without the batch dimension, e.g. ``(6, 28, 28)``.
        parents: ids of the nodes whose outputs this node reads.
        name: qualified module name (``"features.0"``) for modules, the operation's name otherwise.
        repeat: how many identical consecutive units this box stands for (see ``merge_repeats``).
        type: the module's class name (``"Conv2d"``) or the operation's name (``"relu"``).
    """

    id: int
    label: str
    kind: str
    shape: tuple[int, ...]
    parents: list[int] = field(default_factory=list)
    name: str = ""
    repeat: int = 1
    type: str = ""


@dataclass
class ArchGraph:
    """The nodes of one traced forward pass, in the order they ran (a topological order)."""

    nodes: list[Node]

    @property
    def edges(self) -> list[tuple[int, int]]:
        """``(parent id, child id)`` pairs."""
        return [(p, n.id) for n in self.nodes for p in n.parents]

    def children(self, node_id: int) -> list[int]:
        return [n.id for n in self.nodes if node_id in n.parents]

    def of_kind(self, kind: str) -> list[Node]:
        return [n for n in self.nodes if n.kind == kind]

    def ranks(self) -> list[int]:
        """Longest-path layer of every node (the input is 0)."""
        rank: list[int] = []
        for n in self.nodes:
            rank.append(1 + max((rank[p] for p in n.parents), default=-1))
        return rank


def _module_label(m: nn.Module) -> str:
    """A short description of a module, e.g. ``Conv 3×3/2, 128``."""
    kind = type(m).__name__
    if isinstance(m, nn.Conv2d):
        k, s, d = m.kernel_size, m.stride, m.dilation
        text = f"Conv {k[0]}×{k[1]}" + (f"/{s[0]}" if s[0] > 1 else "") + f", {m.out_channels}"
        if d[0] > 1:
            text += f", dil {d[0]}"
        if m.groups > 1:
            text += f", groups {m.groups}"
        return text
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
        s = m.stride if isinstance(m.stride, int) else m.stride[0]
        return f"{'Max' if isinstance(m, nn.MaxPool2d) else 'Avg'}Pool {k}×{k}" + (f"/{s}" if s > 1 else "")
    if isinstance(m, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return "GlobalAvgPool" if isinstance(m, nn.AdaptiveAvgPool2d) else "GlobalMaxPool"
    if isinstance(m, nn.Linear):
        return f"Linear {m.out_features}"
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        return "BN"
    if isinstance(m, nn.LocalResponseNorm):
        return "LRN"
    if isinstance(m, nn.Dropout):
        return f"Dropout {m.p:g}"
    if isinstance(m, nn.Sequential) and len(m) > 0:
        # a container drawn as one box: its weighted layers in order
        inner = [_module_label(c) for c in m.modules() if isinstance(c, (nn.Conv2d, nn.Linear))]
        if inner and len(inner) <= 3:
            return " → ".join(inner)
    return kind.lstrip("_")


def _tensors(obj: Any) -> list[torch.Tensor]:
    """Every tensor inside nested tuples, lists and dicts, in order."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []


def _op_name(func: Any) -> str:
    name = getattr(func, "__name__", str(func))
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]  # __add__ -> add, __getitem__ -> getitem
    return name.rstrip("_") or name  # add_ -> add


class _Recorder(TorchFunctionMode):
    """Builds the graph while the model runs: hooks for units, this mode for operations between them."""

    def __init__(self, units: set[int], unit_names: dict[int, str]):
        super().__init__()
        self.nodes: list[Node] = []
        self.producer: dict[int, int] = {}  # id(tensor) -> node id
        self.alive: list[torch.Tensor] = []  # keeps recorded tensors alive so ids are not reused
        self.units, self.unit_names = units, unit_names
        self.inside = 0  # > 0 while a unit runs: its internals are not recorded
        self.pending: list[list[int]] = []

    def parents_of(self, obj: Any) -> list[int]:
        out: list[int] = []
        for t in _tensors(obj):
            p = self.producer.get(id(t))
            if p is not None and p not in out:
                out.append(p)
        return out

    def add(self, label: str, kind: str, parents: list[int], output: Any, name: str = "", type_: str = "") -> None:
        outs = _tensors(output)
        shape = tuple(outs[0].shape[1:]) if outs else ()
        node = Node(len(self.nodes), label, kind, shape, list(parents), name, type=type_ or name)
        self.nodes.append(node)
        self.bind(output, node.id)

    def bind(self, output: Any, node_id: int) -> None:
        for t in _tensors(output):
            self.producer[id(t)] = node_id
            self.alive.append(t)

    # forward hooks of every module of the model
    def pre_hook(self, module: nn.Module, args: tuple, kwargs: dict) -> None:
        if id(module) not in self.units:
            return
        if self.inside == 0:
            self.pending.append(self.parents_of((args, kwargs)))
        self.inside += 1

    def post_hook(self, module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        if id(module) not in self.units:
            return
        self.inside -= 1
        if self.inside:
            return
        parents = self.pending.pop()
        if isinstance(module, nn.Identity) and len(parents) == 1:
            self.bind(output, parents[0])  # an identity shortcut is a plain wire
            return
        self.add(_module_label(module), "module", parents, output, self.unit_names[id(module)], type(module).__name__)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        if self.inside:
            return result
        name = _op_name(func)
        outs = _tensors(result)
        if not outs or name in _IGNORED_OPS:
            return result
        parents = self.parents_of((args, kwargs))
        if not parents:
            return result
        n_inputs = len(_tensors((args, kwargs)))
        if name in _PASS_OPS and len(parents) == 1:
            self.bind(result, parents[0])
        elif name in _CAT_OPS and n_inputs == 1:
            self.bind(result, parents[0])  # torch.cat of one tensor is that tensor
        elif name in _ADD_OPS:
            self.add("+", "add", parents, result, name)
        elif name in _CAT_OPS:
            self.add("concat", "cat", parents, result, name)
        elif name in _MUL_OPS:
            self.add("×", "mul", parents, result, name)
        else:
            self.add(_OP_LABELS.get(name, name), "op", parents, result, name)
        return result


def _fold(graph: ArchGraph, fold: set[str]) -> ArchGraph:
    """Merge each folded node (by class or operation name) into its single parent's box."""
    nodes = {n.id: n for n in graph.nodes}
    children = {n.id: graph.children(n.id) for n in graph.nodes}
    replaced: dict[int, int] = {}
    for n in graph.nodes:
        n.parents = [replaced.get(p, p) for p in n.parents]
        if n.kind not in ("module", "op") or len(n.parents) != 1:
            continue
        if n.type not in fold:
            continue
        p = nodes[n.parents[0]]
        if p.kind not in ("module", "op") or len(children[p.id]) != 1:
            continue
        p.label = f"{p.label} · {n.label.split(' ')[0] if n.type == 'Dropout' else n.label}"
        p.shape = n.shape
        children[p.id] = children[n.id]
        replaced[n.id] = p.id
    kept = [n for n in graph.nodes if n.id not in replaced]
    return _renumber(kept)


def _merge_repeats(graph: ArchGraph) -> ArchGraph:
    """Merge consecutive identical boxes of a chain (same label and output shape) into one ``k ×`` box."""
    children = {n.id: graph.children(n.id) for n in graph.nodes}
    nodes = {n.id: n for n in graph.nodes}
    replaced: dict[int, int] = {}
    for n in graph.nodes:
        n.parents = [replaced.get(p, p) for p in n.parents]
        if n.kind != "module" or len(n.parents) != 1:
            continue
        p = nodes[n.parents[0]]
        if p.kind == "module" and len(children[p.id]) == 1 and p.label == n.label and p.shape == n.shape:
            p.repeat += n.repeat
            children[p.id] = children[n.id]
            replaced[n.id] = p.id
    return _renumber([n for n in graph.nodes if n.id not in replaced])


def _renumber(kept: list[Node]) -> ArchGraph:
    new_id = {n.id: i for i, n in enumerate(kept)}
    for i, n in enumerate(kept):
        n.id = i
        n.parents = [new_id[p] for p in n.parents]
    return ArchGraph(kept)


def architecture_graph(
    model: nn.Module,
    input_shape: Sequence[int] | Mapping[str, Sequence[int]],
    depth: int | None = None,
    units: Iterable[type] = (),
    fold: Iterable[str] | None = DEFAULT_FOLD,
    merge_repeats: bool = False,
) -> ArchGraph:
    """Trace one forward pass of ``model`` into a graph of boxes (units and operations).

    Args:
        model: any module taking one tensor ``(1, *input_shape)`` (or one per named input); it runs in eval mode on the
            device of its parameters (``meta`` works: only shapes are computed).
        input_shape: one input without the batch dimension, e.g. ``(1, 32, 32)``; or, for a
            model with several inputs (a recurrent cell's ``x``, ``h``, ``c``), a dict from each
            input's name to its shape: the model is called with one zero tensor per entry as
            keyword arguments (``model(x=..., h=..., c=...)``), and each input is a node of its own
            labelled with its name, the inputs laid out left to right in the dict's order.
        depth: draw modules at this nesting depth (1 = the model's children) and shallower
            leaves as boxes, exactly the modules :func:`dlbook.cnn.layer_table` lists at that
            depth; ``None`` draws every leaf module.
        units: module types drawn as one box wherever they are (e.g. ``cnn.Inception``).
        fold: class names (``"ReLU"``) and functional operation names (``"relu"``) merged into
            the box before them when that box has no other child; ``None`` or ``()`` folds nothing.
        merge_repeats: merge consecutive boxes with the same label and output shape into one
            box labelled ``k ×`` (VGG's blocks of identical convolutions).

    Returns:
        An :class:`ArchGraph`; ``nodes[0]`` is the input (the first ``len(input_shape)`` nodes are
            the inputs when ``input_shape`` is a dict). ``nn.Identity`` units are wires, not
        boxes (an identity shortcut is an edge straight into the ``+`` node).

    Raises:
        TypeError: if ``model`` is not a module.
        ValueError: if ``input_shape`` has a non-positive size or ``depth`` is below 1.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"architecture_graph expects an nn.Module, got {type(model).__name__}")
    named = dict(input_shape) if isinstance(input_shape, Mapping) else {"input": input_shape}
    if not named:
        raise ValueError("input_shape must name at least one input, got an empty dict")
    shapes: dict[str, tuple[int, ...]] = {}
    for key, value in named.items():
        shape = tuple(int(s) for s in value)
        if len(shape) == 0 or min(shape) <= 0:
            where = "" if key == "input" and not isinstance(input_shape, Mapping) else f" of input {key!r}"
            raise ValueError(f"input_shape{where} must be positive sizes without the batch, got {tuple(value)}")
        shapes[key] = shape
    if depth is not None and depth < 1:
        raise ValueError(f"depth must be >= 1 or None, got {depth}")
    unit_types = tuple(units)
    chosen: set[int] = set()
    names: dict[int, str] = {}
    covered: list[str] = []  # names of chosen units: their descendants are not units
    containers = (nn.ModuleList, nn.ModuleDict)  # never called: their children are the units
    for name, m in model.named_modules():
        if m is model and (len(list(model.children())) > 0 or not type(m).__module__.startswith("torch.")):
            continue  # a model of its own making (an LSTM cell) is drawn from the operations inside it
        if isinstance(m, containers) or any(name.startswith(c + ".") for c in covered):
            continue
        # a ModuleList does not count as a level: DenseBlock.layers.0 is at the level of DenseBlock.layers
        parts = name.split(".")
        prefixes = [".".join(parts[: i + 1]) for i in range(len(parts) - 1)]
        lists = sum(isinstance(model.get_submodule(q), containers) for q in prefixes)
        level = len(parts) - lists if name else 0
        leaf = len(list(m.children())) == 0
        wanted = leaf if depth is None else (level == depth or (level < depth and leaf))
        if wanted or (unit_types and isinstance(m, unit_types)):
            chosen.add(id(m))
            names[id(m)] = name or type(m).__name__
            covered.append(name)
    rec = _Recorder(chosen, names)
    param = next(model.parameters(), None)
    buffer = next(model.buffers(), None)
    device = param.device if param is not None else (buffer.device if buffer is not None else torch.device("cpu"))
    xs = [torch.zeros(1, *shape, device=device) for shape in shapes.values()]
    for key, x in zip(shapes, xs):
        rec.add(key, "input", [], x, key)
    handles = []
    for m in model.modules():
        handles.append(m.register_forward_pre_hook(rec.pre_hook, with_kwargs=True))
        handles.append(m.register_forward_hook(rec.post_hook, with_kwargs=True))
    try:
        with eval_mode(model), torch.no_grad(), rec:
            if isinstance(input_shape, Mapping):
                model(**dict(zip(shapes, xs)))
            else:
                model(*xs)
    finally:
        for h in handles:
            h.remove()
    graph = ArchGraph(rec.nodes)
    if fold:
        graph = _fold(graph, set(fold))
    if merge_repeats:
        graph = _merge_repeats(graph)
    return graph


def _layout(graph: ArchGraph) -> tuple[list[float], list[int]]:
    """Column (x) and layer (rank) of every node: a chain stays in its column, a second child
    of a node opens a new column, a concat sits between its parents, an add under its main input."""
    rank = graph.ranks()
    x: list[float] = []
    claimed: set[int] = set()
    occupied: set[tuple[int, int]] = set()
    for n in graph.nodes:
        if not n.parents:
            col: float = 0.0
        elif n.kind == "cat" and len(n.parents) > 1:
            col = sum(x[p] for p in n.parents) / len(n.parents)
        else:
            main = max(n.parents, key=lambda p: (rank[p], -p))
            col = x[main]
            if main in claimed and len(n.parents) == 1:
                lane = int(round(col)) + 1
                while (lane, rank[n.id]) in occupied:
                    lane += 1
                col = float(lane)
            claimed.add(main)
        lane = int(round(col))
        if col == lane and (lane, rank[n.id]) in occupied:
            while (lane, rank[n.id]) in occupied:
                lane += 1
            col = float(lane)
        occupied.add((int(round(col)), rank[n.id]))
        x.append(col)
    # centre the input over its branches when it fans out to several columns (Inception)
    kids = graph.children(0) if graph.nodes else []
    if len({x[k] for k in kids}) > 1 and len(graph.of_kind("input")) == 1:
        x[0] = sum(x[k] for k in kids) / len(kids)
    return x, rank


_GAP, _DY, _H = 0.35, 0.72, 0.44  # gap between columns, distance between layers, box height (inches)


def _frame(graph: ArchGraph, box_width: float):
    """Layout plus the axes limits that hold it, shortcuts on the right included."""
    x, rank = _layout(graph)
    dx = box_width + _GAP
    spans = [rank[c] - rank[p] for p, c in graph.edges if x[p] == x[c] and rank[c] - rank[p] > 1]
    extra = 0.15 + 0.12 * (max(spans) - 2) if spans else 0.0  # the outermost shortcut's distance from its box
    xlim = (min(x) * dx - box_width / 2 - 0.2, max(x) * dx + box_width / 2 + extra + 0.2)
    ylim = (-max(rank) * _DY - _H / 2 - 0.15, _H / 2 + 0.15)
    return x, rank, xlim, ylim


def draw_architectures(panels: Sequence[dict], scale: float = 1.0, box_width: float = 1.9) -> list:
    """Several diagrams side by side, at one common scale (each panel as wide as its graph).

    Args:
        panels: one dict per diagram with the keyword arguments of :func:`draw_architecture`
            (``model``, ``input_shape``, ``title``, ``depth``, ...).
        scale: multiplies the figure size.

    Returns:
        The list of ``Axes``, one per panel, each with its ``architecture`` graph.
    """
    import matplotlib.pyplot as plt

    if not panels:
        raise ValueError("draw_architectures needs at least one panel")
    graphs = []
    for panel in panels:
        opts = {k: panel[k] for k in ("depth", "units", "fold", "merge_repeats") if k in panel}
        model = panel["model"]
        graphs.append(model if isinstance(model, ArchGraph) else architecture_graph(model, panel["input_shape"], **opts))
    frames = [_frame(g, box_width) for g in graphs]
    widths = [f[2][1] - f[2][0] for f in frames]
    height = max(f[3][1] - f[3][0] for f in frames) + 0.5
    fig, axes = plt.subplots(1, len(panels), figsize=(sum(widths) * scale, height * scale),
                             gridspec_kw={"width_ratios": widths}, squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.35 / height, wspace=0.05)
    for ax, graph, panel in zip(axes[0], graphs, panels):
        draw_architecture(graph, ax=ax, title=panel.get("title"), show_shapes=panel.get("show_shapes", True),
                          box_width=box_width)
    return list(axes[0])


def draw_architecture(
    model: nn.Module | ArchGraph,
    input_shape: Sequence[int] | Mapping[str, Sequence[int]] | None = None,
    depth: int | None = None,
    units: Iterable[type] = (),
    fold: Iterable[str] | None = DEFAULT_FOLD,
    merge_repeats: bool = False,
    ax=None,
    title: str | None = None,
    show_shapes: bool = True,
    box_width: float = 1.9,
    scale: float = 1.0,
):
    """Draw a block diagram of ``model``: boxes with output shapes, arrows along the data flow.

    Args:
        model: the network (traced with :func:`architecture_graph` and the arguments below),
            or a graph already traced.
        input_shape: one input without the batch, e.g. ``(1, 32, 32)``, or a dict of named inputs
            (see :func:`architecture_graph`); needed for a model.
        depth, units, fold, merge_repeats: as in :func:`architecture_graph`.
        ax: axes to draw on; by default a new figure sized to the graph.
        title: axes title.
        show_shapes: print each box's output shape under its label.
        box_width: width of a box in inches (at ``scale`` 1).
        scale: multiplies the figure size.

    Returns:
        The ``Axes``; its ``architecture`` attribute is the :class:`ArchGraph` drawn, with one
        box patch per node (``ax.patches``) and one arrow per edge.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    if isinstance(model, ArchGraph):
        graph = model
    else:
        if input_shape is None:
            raise ValueError("draw_architecture needs input_shape (without the batch) to trace a model")
        graph = architecture_graph(model, input_shape, depth, units, fold, merge_repeats)
    if not graph.nodes:
        raise ValueError("the graph has no nodes")
    x, rank, xlim, ylim = _frame(graph, box_width)
    dx, dy, h = box_width + _GAP, _DY, _H
    width_of = {"add": 0.36, "mul": 0.36, "cat": 0.9}
    if ax is None:
        fig_w = max(3.0, xlim[1] - xlim[0] + 0.4) * scale
        fig_h = max(1.5, ylim[1] - ylim[0] + 0.2 + (0.3 if title else 0.0)) * scale
        fig, ax = plt.subplots(figsize=(fig_w, fig_h))
        fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - (0.35 if title else 0.05) / fig_h)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    # text is sized in points, boxes in data units: shrink the text with the axes' scale (inches per unit)
    box = ax.get_position()
    inches = min(box.width * ax.figure.get_figwidth() / (xlim[1] - xlim[0]),
                 box.height * ax.figure.get_figheight() / (ylim[1] - ylim[0]))
    font = 7.0 * min(1.0, inches)
    pos = [(xi * dx, -r * dy) for xi, r in zip(x, rank)]
    half_w = [width_of.get(n.kind, box_width) / 2 for n in graph.nodes]
    colours = {"input": "#e8e8e8", "module": "#dbe9f6", "op": "#fde9c9", "add": "#f9d5d3", "mul": "#f9d5d3",
               "cat": "#d9f0d3"}
    for n, (cx, cy) in zip(graph.nodes, pos):
        w = 2 * half_w[n.id]
        round_style = "circle,pad=0" if n.kind in ("add", "mul") else "round,pad=0.02,rounding_size=0.08"
        hh = w if n.kind in ("add", "mul") else h
        patch = FancyBboxPatch((cx - w / 2, cy - hh / 2), w, hh, boxstyle=round_style,
                               fc=colours.get(n.kind, "#eeeeee"), ec="#555555", lw=0.8, zorder=2)
        ax.add_patch(patch)
        label = (f"{n.repeat} × " if n.repeat > 1 else "") + n.label
        shape = " × ".join(str(s) for s in n.shape)
        text = label if (not show_shapes or n.kind in ("add", "mul") or not shape) else f"{label}\n{shape}"
        ax.text(cx, cy, text, ha="center", va="center", fontsize=font if n.kind not in ("add", "mul") else font * 9 / 7,
                zorder=3, linespacing=1.15)
    # Several arrows from other columns into the + and × nodes of one layer (a recurrent cell's
    # gates and the states they scale): each turns at its own height above the layer, so that their
    # horizontal runs cross at points instead of merging into one line. One such arrow keeps its place.
    stagger: dict[tuple[int, int], float] = {}
    for r in set(rank):
        side = sorted(((pos[c][0], pos[p][0], p, c) for p, c in graph.edges
                       if rank[c] == r and graph.nodes[c].kind in ("add", "mul") and pos[p][0] != pos[c][0]))
        if len(side) > 1:
            room = dy - h / 2 - half_w[side[0][3]] - 0.12  # from just above the + or × to below the row above
            for k, (_, _, p, c) in enumerate(side):
                stagger[(p, c)] = 0.06 + room * k / (len(side) - 1)
    for p, c in graph.edges:
        (x1, y1), (x2, y2) = pos[p], pos[c]
        top = y2 + (half_w[c] if graph.nodes[c].kind in ("add", "mul") else h / 2)
        bottom = y1 - (half_w[p] if graph.nodes[p].kind in ("add", "mul") else h / 2)
        style = dict(arrowstyle="-|>", mutation_scale=8, lw=0.9, color="#333333", zorder=1)
        if x1 == x2 and rank[c] - rank[p] > 1:
            # a shortcut that would run through its own column's boxes: routed beside them, in red,
            # inside the gap before the next column (whose boxes start box_width / 2 past the
            # gap); longer shortcuts run further out so that nested ones do not overlap, and never
            # reach that column. The middle of the gap is left to the black lanes (`blocked` below).
            inner = max(x1 + half_w[p], x2 + half_w[c])
            room = x1 + dx - box_width / 2 - inner  # the gap: _GAP wide beside a full box
            out = inner + room * (0.62 + 0.3 * (1 - 0.5 ** (rank[c] - rank[p] - 2)))
            path = Path([(x1 + half_w[p], y1), (out, y1), (out, y2), (x2 + half_w[c], y2)],
                        [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO])
            arrow = FancyArrowPatch(path=path, **{**style, "color": "#c0392b"})
        elif x1 == x2:
            arrow = FancyArrowPatch((x1, bottom), (x2, top), **style)
        else:
            # leave the parent downwards, turn just above the child, enter it from the top
            turn = top + (dy - h) / 2 if rank[c] - rank[p] > 1 else (bottom + top) / 2
            if (p, c) in stagger:
                turn = top + stagger[(p, c)]
            blocked = any(pos[q][0] == x1 and rank[p] < rank[q] < rank[c] for q in range(len(graph.nodes)))
            if blocked:
                # boxes below the parent in its column: run down the gap beside the column instead
                lane = x1 + (1 if x2 > x1 else -1) * (box_width + _GAP) / 2
                below = bottom - (dy - h) / 2
                path = Path([(x1, bottom), (x1, below), (lane, below), (lane, turn), (x2, turn), (x2, top)],
                            [Path.MOVETO] + [Path.LINETO] * 5)
            else:
                path = Path([(x1, bottom), (x1, turn), (x2, turn), (x2, top)],
                            [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO])
            arrow = FancyArrowPatch(path=path, **style)
        arrow.set_gid("edge")
        ax.add_patch(arrow)
    if title:
        ax.set_title(title, fontsize=9)
    ax.architecture = graph
    return ax


# ----- layered graphs: any DAG, and the computational graph of a dlbook.autograd value -------------
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

    from .autograd import Value, topological_order  # imported here: dlbook.autograd re-exports this function

    if not isinstance(root, Value):
        raise TypeError(f"draw_graph expects a dlbook.autograd.Value, got {type(root).__name__}")
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
