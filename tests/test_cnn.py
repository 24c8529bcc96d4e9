"""Tests of dlbook.cnn: shapes, published parameter totals, small models' gradients, errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlbook import cnn

# Published totals (torchvision's models at 1000 classes, and the papers' own counts).
TORCHVISION_TOTALS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336,
    "vgg13": 133_047_848,
    "vgg16": 138_357_544,
    "vgg19": 143_667_240,
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "densenet121": 7_978_856,
}


def _meta(builder, *args, **kwargs):
    # Build on the meta device: parameter counts and shapes without allocating weights.
    with torch.device("meta"):
        return builder(*args, **kwargs)


def _out_shape(model, shape):
    model.eval()  # batch norm on a batch of one 1x1 map needs running statistics
    return tuple(model(torch.zeros(1, *shape, device="meta")).shape)


@pytest.mark.parametrize(
    "name, builder, kwargs",
    [
        ("alexnet", cnn.alexnet, {"config": "torchvision"}),
        ("vgg11", cnn.vgg, {"config": "A"}),
        ("vgg13", cnn.vgg, {"config": "B"}),
        ("vgg16", cnn.vgg, {"config": "D"}),
        ("vgg19", cnn.vgg, {"config": "E"}),
        ("resnet18", cnn.resnet, {"depth": 18}),
        ("resnet34", cnn.resnet, {"depth": 34}),
        ("resnet50", cnn.resnet, {"depth": 50}),
        ("densenet121", cnn.densenet121, {}),
    ],
)
def test_full_size_totals_match_torchvision(name, builder, kwargs):
    assert cnn.count_params(_meta(builder, **kwargs)) == TORCHVISION_TOTALS[name]


def test_lenet5_counts_per_layer():
    modern = cnn.lenet5()
    assert cnn.count_params(modern) == 61_706
    per_layer = [r.params for r in cnn.layer_table(modern, (1, 32, 32)) if r.params]
    assert per_layer == [156, 2_416, 48_120, 10_164, 850]
    paper = cnn.lenet5(paper=True)
    # LeCun et al. 1998: C1 156, S2 12, C3 1,516, S4 32, C5 48,120, F6 10,164 (RBF fixed).
    per_layer = [r.params for r in cnn.layer_table(paper, (1, 32, 32)) if r.params]
    assert per_layer == [156, 12, 1_516, 32, 48_120, 10_164]
    assert cnn.count_params(paper) == 60_000


def test_alexnet_paper_counts():
    model = _meta(cnn.alexnet)
    assert cnn.count_params(model) == 60_965_224
    rows = cnn.layer_table(model, (3, 227, 227))
    first_conv = next(r for r in rows if r.kind == "Conv2d")
    assert first_conv.output_shape == (96, 55, 55)  # (227 - 11) / 4 + 1 = 55
    assert rows[-1].output_shape == (1000,)


def test_alexnet_image_size_sizes_the_head_and_checks_input():
    small = cnn.alexnet(num_classes=10, small=True)
    at16 = cnn.alexnet(num_classes=10, small=True, image_size=16)
    assert at16(torch.randn(2, 1, 16, 16)).shape == (2, 10)
    # 16x16: the last pooling leaves 32 x 1 x 1 instead of 32 x 3 x 3, so only the first linear layer shrinks
    assert cnn.count_params(small) - cnn.count_params(at16) == 32 * (9 - 1) * 128
    assert cnn.count_params(cnn.alexnet(num_classes=10, small=True, image_size=32)) == cnn.count_params(small)
    with pytest.raises(ValueError, match="expects input of shape"):
        at16(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="too small"):
        cnn.alexnet(small=True, image_size=8)
    with pytest.raises(ValueError, match="positive int"):
        cnn.alexnet(small=True, image_size=0)


def test_vgg_paper_totals_in_millions():
    # Table 2 of Simonyan & Zisserman (2015), in millions.
    paper = {"A": 133, "A-LRN": 133, "B": 133, "C": 134, "D": 138, "E": 144}
    for config, millions in paper.items():
        assert round(cnn.count_params(_meta(cnn.vgg, config)) / 1e6) == millions, config


@pytest.mark.parametrize(
    "builder, kwargs, shape",
    [
        (cnn.lenet5, {}, (1, 32, 32)),
        (cnn.lenet5, {"paper": True}, (1, 32, 32)),
        (cnn.alexnet, {}, (3, 227, 227)),
        (cnn.alexnet, {"config": "torchvision"}, (3, 224, 224)),
        (cnn.vgg, {"config": "C"}, (3, 224, 224)),
        (cnn.googlenet, {}, (3, 224, 224)),
        (cnn.resnet, {"depth": 50}, (3, 224, 224)),
        (cnn.densenet121, {}, (3, 224, 224)),
    ],
)
def test_full_size_output_shapes(builder, kwargs, shape):
    model = _meta(builder, **kwargs)
    assert _out_shape(model, shape) == (1, 10 if builder is cnn.lenet5 else 1000)


def test_stage_shapes():
    rows = cnn.layer_table(_meta(cnn.resnet, 50), (3, 224, 224), depth=2)
    stages = [r.output_shape for r in rows if r.name in {"features.4", "features.5", "features.6", "features.7"}]
    assert stages == [(256, 56, 56), (512, 28, 28), (1024, 14, 14), (2048, 7, 7)]
    rows = cnn.layer_table(_meta(cnn.googlenet), (3, 224, 224), depth=2)
    out = {r.name: r.output_shape for r in rows}
    assert out["features.inception3a"] == (256, 28, 28)
    assert out["features.inception5b"] == (1024, 7, 7)


def test_inception_module_against_manual_count():
    block = cnn.Inception(192, 64, 96, 128, 16, 32, 32)
    x = torch.randn(2, 192, 28, 28)
    assert block(x).shape == (2, 256, 28, 28)
    weights = 192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 25 * 16 * 32 + 192 * 32
    assert cnn.count_params(block) == weights + (64 + 96 + 128 + 16 + 32 + 32)
    naive = cnn.Inception(192, 64, 96, 128, 16, 32, 32, reduce=False)
    assert naive(x).shape == (2, 64 + 128 + 32 + 192, 28, 28)
    assert cnn.count_params(naive) == 192 * 64 + 9 * 192 * 128 + 25 * 192 * 32 + (64 + 128 + 32)


def test_sparse_conv_matches_dense_conv_with_masked_kernel():
    torch.manual_seed(0)
    layer = cnn.SparseConv2d(cnn.LENET_C3_TABLE, 6, 5)
    w = layer.full_weight().detach()
    mask = (w.abs().sum((2, 3)) > 0).int()
    assert mask.sum().item() == 60  # Table I: 6*3 + 6*4 + 3*4 + 6 connections
    x = torch.randn(3, 6, 14, 14)
    ref = torch.nn.functional.conv2d(x, w, layer.bias.detach())
    assert torch.allclose(layer(x), ref, atol=1e-5)


def test_dense_block_and_transition_channels():
    block = cnn.DenseBlock(4, 16, growth=8)
    y = block(torch.randn(2, 16, 8, 8))
    assert y.shape == (2, 16 + 4 * 8, 8, 8)
    t = cnn.Transition(48, 24)
    assert t(y).shape == (2, 24, 4, 4)


def test_residual_block_is_identity_plus_f():
    torch.manual_seed(0)
    block = cnn.BasicBlock(8, 8).eval()
    plain = cnn.BasicBlock(8, 8, shortcut="none").eval()
    plain.load_state_dict(block.state_dict())
    x = torch.randn(2, 8, 6, 6)
    f = block.bn2(block.conv2(torch.relu(block.bn1(block.conv1(x)))))
    assert torch.allclose(block(x), torch.relu(f + x), atol=1e-6)
    assert torch.allclose(plain(x), torch.relu(f), atol=1e-6)
    down = cnn.Bottleneck(64, 32, stride=2)
    assert down(torch.randn(2, 64, 8, 8)).shape == (2, 128, 4, 4)


def test_plain_and_residual_twins_have_equal_parameters():
    res = cnn.small_resnet(20, shortcut="pad", width=8)
    plain = cnn.small_resnet(20, shortcut="none", width=8)
    assert cnn.count_params(res) == cnn.count_params(plain)
    assert cnn.count_params(cnn.small_resnet(20, shortcut="projection", width=8)) > cnn.count_params(res)


@pytest.mark.parametrize(
    "builder, kwargs, shape",
    [
        (cnn.lenet5, {"activation": "sigmoid", "pooling": "avg"}, (1, 32, 32)),
        (cnn.lenet5, {"activation": "relu", "pooling": "max"}, (1, 32, 32)),
        (cnn.lenet5, {"paper": True}, (1, 32, 32)),
        (cnn.alexnet, {"num_classes": 10, "small": True}, (1, 32, 32)),
        (cnn.vgg, {"config": "A", "num_classes": 10, "in_channels": 1, "image_size": 32, "width": 1 / 8, "hidden": 32}, (1, 32, 32)),
        (cnn.small_resnet, {"depth": 14, "width": 4}, (1, 8, 8)),
        (cnn.small_resnet, {"depth": 14, "width": 4, "shortcut": "none"}, (1, 8, 8)),
        (cnn.densenet, {"growth": 4, "block_config": (2, 2), "init_features": 8, "num_classes": 10, "in_channels": 1, "small": True}, (1, 8, 8)),
    ],
)
def test_small_models_forward_backward(builder, kwargs, shape):
    torch.manual_seed(0)
    model = builder(**kwargs)
    x = torch.randn(4, *shape)
    y = torch.tensor([0, 1, 2, 3])
    out = model(x)
    assert out.shape == (4, 10)
    nn.functional.cross_entropy(out, y).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(g.abs().sum().item() for g in grads) > 0


def test_small_googlenet_inception_forward_backward():
    torch.manual_seed(0)
    block = cnn.Inception(8, 4, 4, 8, 2, 4, 4)
    out = block(torch.randn(2, 8, 6, 6, requires_grad=True))
    out.sum().backward()
    assert out.shape == (2, 20, 6, 6)
    assert all(p.grad is not None for p in block.parameters())


@pytest.mark.parametrize(
    "builder, kwargs, bad_shape, expected",
    [
        (cnn.lenet5, {}, (1, 3, 32, 32), "(B, 1, 32, 32)"),
        (cnn.lenet5, {}, (1, 1, 28, 28), "(B, 1, 32, 32)"),
        (cnn.alexnet, {}, (1, 3, 224, 224), "(B, 3, 227, 227)"),
        (cnn.vgg, {"config": "D"}, (1, 1, 224, 224), "(B, 3, 224, 224)"),
        (cnn.resnet, {"depth": 18}, (1, 3, 16, 16), "H, W >= 32"),
        (cnn.googlenet, {}, (1, 3, 31, 31), "H, W >= 32"),
        (cnn.densenet121, {}, (1, 1, 64, 64), "(B, 3, H, W) with H, W >= 32"),
        (cnn.small_resnet, {}, (1, 1, 3, 3), "H, W >= 4"),
    ],
)
def test_builders_reject_inputs_they_cannot_take(builder, kwargs, bad_shape, expected):
    model = _meta(builder, **kwargs)
    with pytest.raises(ValueError) as err:
        model(torch.zeros(*bad_shape, device="meta"))
    assert expected in str(err.value)
    assert str(bad_shape) in str(err.value)


def test_min_size_inputs_are_accepted():
    for builder in (cnn.googlenet, cnn.densenet121, lambda: cnn.resnet(18)):
        model = _meta(builder)
        assert _out_shape(model, (3, 32, 32)) == (1, 1000)


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        cnn.lenet5(activation="softplus")
    with pytest.raises(ValueError, match="pooling"):
        cnn.lenet5(pooling="median")
    with pytest.raises(ValueError, match="config"):
        cnn.vgg("F")
    with pytest.raises(ValueError, match="multiple of 32"):
        cnn.vgg("A", image_size=100)
    with pytest.raises(ValueError, match="depth"):
        cnn.resnet(20)
    with pytest.raises(ValueError, match="6n"):
        cnn.small_resnet(21)
    with pytest.raises(ValueError, match="shortcut"):
        cnn.BasicBlock(4, 8, 2, shortcut="magic")
    with pytest.raises(ValueError, match="Inception expects"):
        cnn.Inception(8, 4, 4, 8, 2, 4, 4)(torch.zeros(1, 7, 6, 6))
    with pytest.raises(TypeError):
        cnn.layer_table("not a model", (1, 32, 32))


def test_layer_table_sums_to_total_and_traces_shapes():
    model = cnn.lenet5()
    rows = cnn.layer_table(model, (1, 32, 32))
    assert sum(r.params for r in rows) == cnn.count_params(model)
    assert [r.output_shape for r in rows if r.kind == "AvgPool2d"] == [(6, 14, 14), (16, 5, 5)]
    text = cnn.format_table(rows)
    assert "61,706" in text.splitlines()[-1]


@pytest.mark.parametrize("name", sorted(cnn.DIGIT_CLASSICS))
def test_digit_classics_map_digits_to_ten_scores_and_train(name):
    build, side = cnn.DIGIT_CLASSICS[name]
    torch.manual_seed(0)
    model = build()
    x, y = torch.randn(4, 1, side, side), torch.tensor([0, 1, 2, 3])
    out = model(x)
    assert out.shape == (4, 10)
    nn.functional.cross_entropy(out, y).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    with pytest.raises(ValueError, match="expects input of shape"):
        model(torch.randn(4, 3, side, side))  # wrong channels: the classifier's check names the shape


def test_small_googlenet_and_vgg_follow_their_papers_rules():
    g = cnn.small_googlenet()
    assert sum(isinstance(m, cnn.Inception) for m in g.modules()) == 2
    v = cnn.small_vgg()
    convs = [m for m in v.modules() if isinstance(m, nn.Conv2d)]
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs) and len(convs) == 4
    assert v.features(torch.zeros(1, 1, 8, 8)).shape == (1, 32, 2, 2)


def test_multiply_adds_counts_weights_per_output_value():
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, groups=2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 5))
    # conv1: 4 x 6 x 6 outputs, 2*3*3 terms each; grouped conv2: 4 x 4 x 4 outputs, 2*3*3 terms; linear: 5 x 64
    assert cnn.multiply_adds(model, (2, 6, 6)) == 4 * 36 * 18 + 4 * 16 * 18 + 5 * 64
    small, at16 = cnn.alexnet(small=True), cnn.alexnet(small=True, image_size=16)
    assert cnn.multiply_adds(at16, (1, 16, 16)) < cnn.multiply_adds(small, (1, 32, 32)) / 4
    with torch.device("meta"):
        meta = cnn.alexnet(small=True)
    assert cnn.multiply_adds(meta, (1, 32, 32)) == cnn.multiply_adds(small, (1, 32, 32))
    with pytest.raises(ValueError, match="positive sizes"):
        cnn.multiply_adds(model, (2, 0, 6))
    with pytest.raises(TypeError, match="nn.Module"):
        cnn.multiply_adds(lambda x: x, (2, 6, 6))
