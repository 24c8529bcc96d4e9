"""Tests of dlbook.diagram: the traced graph matches the model, and the drawing matches the graph."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402
from torch import nn  # noqa: E402

from dlbook import cnn, diagram, rnn, transformer  # noqa: E402


def teardown_function():
    plt.close("all")


def _meta(builder, *args, **kwargs):
    with torch.device("meta"):
        return builder(*args, **kwargs)


# every builder of dlbook.cnn, with an input it accepts
BUILDERS = {
    "lenet5": (lambda: cnn.lenet5("relu", "max"), (1, 32, 32)),
    "lenet5_paper": (lambda: cnn.lenet5(paper=True), (1, 32, 32)),
    "alexnet_small": (lambda: cnn.alexnet(small=True), (1, 32, 32)),
    "alexnet_paper": (lambda: _meta(cnn.alexnet, config="paper"), (3, 227, 227)),
    "vgg16": (lambda: _meta(cnn.vgg, "D"), (3, 224, 224)),
    "vgg_small": (lambda: cnn.vgg("A", in_channels=1, image_size=32, width=1 / 8, hidden=64), (1, 32, 32)),
    "googlenet": (lambda: _meta(cnn.googlenet), (3, 224, 224)),
    "resnet18": (lambda: _meta(cnn.resnet, 18), (3, 224, 224)),
    "resnet50": (lambda: _meta(cnn.resnet, 50), (3, 224, 224)),
    "small_resnet_pad": (lambda: cnn.small_resnet(8, shortcut="pad", width=8), (1, 8, 8)),
    "small_resnet_plain": (lambda: cnn.small_resnet(8, shortcut="none", width=8), (1, 8, 8)),
    "densenet_small": (lambda: cnn.densenet(8, (2, 2), 16, num_classes=10, in_channels=1, small=True), (1, 8, 8)),
    "densenet121": (lambda: _meta(cnn.densenet121), (3, 224, 224)),
}


def _is_edge(p):
    return isinstance(p, FancyArrowPatch)


# full-size models at every leaf take seconds each: leaves are checked on the small ones
CASES = [(name, 2) for name in sorted(BUILDERS)] + [
    (name, None) for name in sorted(BUILDERS) if "small" in name or "lenet" in name or name == "resnet18"]


@pytest.mark.parametrize("name, depth", CASES)
def test_every_builder_is_drawn_with_one_box_per_unit(name, depth):
    build, shape = BUILDERS[name]
    model = build()
    # without folding, the boxes are exactly the modules layer_table lists at that depth (identity
    # shortcuts are wires, not boxes), plus the input and the operations between modules
    graph = diagram.architecture_graph(model, shape, depth=depth, fold=())
    rows = [r for r in cnn.layer_table(model, shape, depth=depth) if r.kind != "Identity"]
    modules = graph.of_kind("module")
    assert [n.name for n in modules] == [r.name for r in rows]
    assert [n.shape for n in modules] == [r.output_shape for r in rows]
    assert graph.nodes[0].kind == "input" and graph.nodes[0].shape == shape
    # the graph is connected from the input and ordered: every parent ran before its child
    assert all(n.parents and max(n.parents) < n.id for n in graph.nodes[1:])
    # the last box produces the network's output
    model.eval()
    param = next(model.parameters())
    out = model(torch.zeros(1, *shape, device=param.device))
    assert graph.nodes[-1].shape == tuple(out.shape[1:])
    ax = diagram.draw_architecture(model, shape, depth=depth, title=name)
    drawn = ax.architecture
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if _is_edge(p)]
    assert len(boxes) == len(drawn.nodes) and len(arrows) == len(drawn.edges)
    assert len(drawn.nodes) <= len(graph.nodes)  # folding only merges boxes


def test_chain_has_one_box_per_layer_and_no_branches():
    model = cnn.lenet5("relu", "max")
    graph = diagram.architecture_graph(model, (1, 32, 32), fold=())
    assert len(graph.nodes) == 1 + len(cnn.layer_table(model, (1, 32, 32)))
    assert graph.edges == [(i, i + 1) for i in range(len(graph.nodes) - 1)]
    folded = diagram.architecture_graph(model, (1, 32, 32))
    # ReLUs and the Flatten fold into the box before them: 2 convs, 2 pools, 3 linear layers
    assert [n.label for n in folded.nodes[1:]] == [
        "Conv 5×5, 6 · ReLU", "MaxPool 2×2/2", "Conv 5×5, 16 · ReLU", "MaxPool 2×2/2 · Flatten",
        "Linear 120 · ReLU", "Linear 84 · ReLU", "Linear 10"]


def test_inception_has_four_branches_merged_by_one_concat():
    block = cnn.Inception(192, 64, 96, 128, 16, 32, 32)
    graph = diagram.architecture_graph(block, (192, 28, 28))
    (cat,) = graph.of_kind("cat")
    assert len(cat.parents) == 4 and cat.shape == (256, 28, 28)
    assert len(graph.children(0)) == 4  # the input feeds every branch
    # the four branches, in order: 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | pool -> 1x1
    branch_lengths = []
    for first in graph.children(0):
        n, length = first, 1
        while graph.children(n) != [cat.id]:
            (n,) = graph.children(n)
            length += 1
        branch_lengths.append(length)
    assert branch_lengths == [1, 2, 2, 2]
    ax = diagram.draw_architecture(graph)
    xs = sorted({round(p.get_x() + p.get_width() / 2, 3) for p in ax.patches if isinstance(p, FancyBboxPatch)})
    assert len(xs) >= 4  # a column per branch


@pytest.mark.parametrize("block, shape", [
    (cnn.BasicBlock(16, 16), (16, 8, 8)),
    (cnn.Bottleneck(64, 16), (64, 8, 8)),
    (cnn.BasicBlock(16, 32, 2, shortcut="pad"), (16, 8, 8)),
    (cnn.BasicBlock(16, 32, 2), (16, 8, 8)),
])
def test_residual_block_has_one_add_fed_by_the_shortcut(block, shape):
    graph = diagram.architecture_graph(block, shape)
    (add,) = graph.of_kind("add")
    assert len(add.parents) == 2
    ranks = graph.ranks()
    if isinstance(block.shortcut, nn.Identity):
        assert 0 in add.parents  # the skip edge comes straight from the input
        ax = diagram.draw_architecture(graph)
        red = [p for p in ax.patches if _is_edge(p) and p.get_edgecolor()[0] > 0.7]
        assert len(red) == 1  # drawn beside the column, in red
    else:
        # the shortcut is its own short branch (projection or option A's subsample + pad)
        shortcut_parent = min(add.parents, key=lambda p: ranks[p])
        assert graph.nodes[shortcut_parent].parents == [0]
    # ReLU comes after the addition: H(x) = ReLU(F(x) + x)
    assert [graph.nodes[c].label for c in graph.children(add.id)] == ["ReLU"]
    plain = diagram.architecture_graph(cnn.BasicBlock(16, 16, shortcut="none"), (16, 8, 8))
    assert plain.of_kind("add") == []


def test_dense_block_concatenates_every_earlier_output():
    model = nn.Sequential(cnn.DenseBlock(3, 16, 8), cnn.Transition(40, 20))
    graph = diagram.architecture_graph(model, (16, 8, 8), depth=2)
    cats = graph.of_kind("cat")
    assert [len(c.parents) for c in cats] == [2, 3, 4]  # input + layers so far
    assert [c.shape[0] for c in cats] == [24, 32, 40]
    layers = [n for n in graph.nodes if n.type == "DenseLayer"]
    assert len(layers) == 3
    assert all(0 in c.parents for c in cats)  # the block's input reaches every concat
    assert graph.nodes[-1].shape == (20, 4, 4)


def test_merge_repeats_makes_vgg_a_column_of_blocks():
    vgg16 = _meta(cnn.vgg, "D")
    graph = diagram.architecture_graph(vgg16, (3, 224, 224), merge_repeats=True)
    convs = [n for n in graph.nodes if n.type == "Conv2d"]
    assert [n.repeat for n in convs] == [2, 2, 3, 3, 3]
    assert sum(n.repeat for n in convs) == 13
    assert [n.shape[0] for n in convs] == [64, 128, 256, 512, 512]


def test_later_chapters_models_are_drawn():
    cell = rnn.LSTMCell(4, 6)
    graph = diagram.architecture_graph(cell, (4,))
    assert len(graph.of_kind("mul")) == 3  # f * c, i * g, o * tanh(c)
    assert graph.nodes[-1].shape == (6,)
    diagram.draw_architecture(graph)
    config = transformer.TransformerConfig(d_model=16, num_heads=2, d_ff=32, num_layers=1, dropout=0.0)
    layer = transformer.EncoderLayer(config)
    graph = diagram.architecture_graph(layer, (5, 16), depth=1)
    assert len(graph.of_kind("add")) == 2  # two residual connections
    diagram.draw_architecture(graph)


def test_errors_name_what_was_expected():
    with pytest.raises(TypeError, match="nn.Module"):
        diagram.architecture_graph("not a model", (1, 8, 8))
    with pytest.raises(ValueError, match="input_shape"):
        diagram.architecture_graph(nn.Conv2d(1, 1, 3), (1, 0, 8))
    with pytest.raises(ValueError, match="depth"):
        diagram.architecture_graph(nn.Conv2d(1, 1, 3), (1, 8, 8), depth=0)
    with pytest.raises(ValueError, match="input_shape"):
        diagram.draw_architecture(nn.Conv2d(1, 1, 3))
    with pytest.raises(ValueError, match=r"\(B, 1, 32, 32\)"):
        diagram.architecture_graph(cnn.lenet5(), (1, 28, 28))  # the model's own check speaks


def test_panels_share_one_scale_and_widths_follow_the_graphs():
    axes = diagram.draw_architectures([
        dict(model=cnn.BasicBlock(8, 8), input_shape=(8, 4, 4), title="identity"),
        dict(model=cnn.BasicBlock(8, 16, 2), input_shape=(8, 4, 4), title="projection"),
    ])
    assert [ax.get_title() for ax in axes] == ["identity", "projection"]
    # the projection block has a second column, so its panel is wider
    widths = [ax.get_position().width for ax in axes]
    assert widths[1] > widths[0]
    # one scale: inches per data unit agree between the panels (to the rounding of the layout)
    fig = axes[0].figure
    scales = [ax.get_position().width * fig.get_figwidth() / (ax.get_xlim()[1] - ax.get_xlim()[0]) for ax in axes]
    assert scales[0] == pytest.approx(scales[1], rel=0.05)
    with pytest.raises(ValueError, match="at least one panel"):
        diagram.draw_architectures([])


def test_named_inputs_draw_a_recurrent_cell_with_its_gates_as_nodes():
    """A dict of named inputs: one input node each; the LSTM cell's gates, products and sums appear."""
    cell = rnn.LSTMCell(3, 5)

    def lstm_step(x, h, c):
        return cell(x, (h, c))

    class Functional(nn.Module):  # the same cell written as a function: its operations are recorded
        def forward(self, x, h, c):
            gi = x @ cell.weight_ih.T + cell.bias_ih
            gh = h @ cell.weight_hh.T + cell.bias_hh
            i, f, g, o = (gi + gh).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            return torch.sigmoid(o) * torch.tanh(c), c

    graph = diagram.architecture_graph(Functional(), {"x": (3,), "h": (5,), "c": (5,)}, fold=())
    assert [n.label for n in graph.nodes[:3]] == ["x", "h", "c"]
    assert all(n.kind == "input" and not n.parents for n in graph.nodes[:3])
    labels = [n.label for n in graph.nodes]
    assert labels.count("σ") == 3 and labels.count("tanh") == 2 and labels.count("×") == 3
    c_node = next(n for n in graph.nodes if n.kind == "add" and len(n.parents) == 2 and
                  all(graph.nodes[p].kind == "mul" for p in n.parents))  # c' = f*c + i*g
    assert 2 in graph.nodes[c_node.parents[0]].parents  # the input c is scaled by the forget gate
    torch.testing.assert_close(Functional()(torch.ones(2, 3), torch.ones(2, 5), torch.ones(2, 5))[0],
                               lstm_step(torch.ones(2, 3), torch.ones(2, 5), torch.ones(2, 5))[0])
    with pytest.raises(ValueError, match="input 'h'"):
        diagram.architecture_graph(Functional(), {"x": (3,), "h": (0,), "c": (5,)})
    with pytest.raises(ValueError, match="at least one input"):
        diagram.architecture_graph(Functional(), {})
    # inputs are passed by name and laid out in the dict's order; listed last, c sits above the
    # candidate's tanh, and its arrow to f*c must run beside that column, not through its boxes
    for order in (("c", "x", "h"), ("x", "h", "c")):
        shapes = {"x": (3,), "h": (5,), "c": (5,)}
        ax = diagram.draw_architecture(Functional(), {k: shapes[k] for k in order}, fold=(), box_width=0.9)
        assert [n.label for n in ax.architecture.nodes[:3]] == list(order)
        _assert_no_arrow_crosses_a_box(ax)


def test_shortcuts_stay_in_the_gap_between_columns():
    """A GRU step written as a function (torch.nn.GRU's equations): its reset gate's input part skips
    three layers of its own column, and the red shortcut must not reach the next column's boxes."""
    gru = nn.GRU(3, 5)

    class GRUStep(nn.Module):
        def forward(self, x, h):
            gi = x @ gru.weight_ih_l0.T + gru.bias_ih_l0
            gh = h @ gru.weight_hh_l0.T + gru.bias_hh_l0
            i_r, i_z, i_n = gi.split(5, dim=1)
            h_r, h_z, h_n = gh.split(5, dim=1)
            r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
            n = torch.tanh(i_n + r * h_n)
            return (1 - z) * n + z * h

    x, h = torch.randn(2, 3), torch.randn(2, 5)
    torch.testing.assert_close(GRUStep()(x, h), gru(x[None], h[None])[1][0])
    ax = diagram.draw_architecture(GRUStep(), {"x": (3,), "h": (5,)}, fold=(), box_width=0.9)
    assert any(a.get_edgecolor()[0] > 0.5 for a in ax.patches if _is_edge(a))  # a red shortcut is drawn
    _assert_no_arrow_crosses_a_box(ax)


def _assert_no_arrow_crosses_a_box(ax):
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert len(boxes) == len(ax.architecture.nodes)
    edges = [p for p in ax.patches if _is_edge(p)]
    assert len(edges) == len(ax.architecture.edges)
    for arrow, (src, dst) in zip(edges, ax.architecture.edges):
        path = arrow._path_original  # the route in data units (None for a straight arrow)
        points = path.vertices if path is not None else list(arrow._posA_posB)
        for k, box in enumerate(boxes):
            if k in (src, dst):
                continue
            x0, y0, w, h = box.get_x(), box.get_y(), box.get_width(), box.get_height()
            for (ax_, ay), (bx, by) in zip(points[:-1], points[1:]):
                if ax_ == bx:  # a vertical run: must not cross the inside of another box
                    lo, hi = sorted((ay, by))
                    assert not (x0 + 1e-6 < ax_ < x0 + w - 1e-6 and lo < y0 + h - 1e-6 and hi > y0 + 1e-6), (src, dst, k)
