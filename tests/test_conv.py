"""dlbook.conv: convolution, pooling, LRN and receptive fields against PyTorch's own."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbook import conv

# (H, W, C_in, C_out, K, stride, padding, bias): square and non-square inputs, 1..3 channels,
# kernels 1..5, strides 1..3, paddings 0..2, with and without bias.
GRID = [
    (h, w, cin, cout, k, s, p, bias)
    for (h, w), cin, cout, k, s, p, bias in itertools.product(
        [(5, 5), (7, 6)], [1, 3], [1, 2], [1, 3, 5], [1, 2, 3], [0, 2], [False, True]
    )
    if k <= min(h, w) + 2 * p
]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.mark.parametrize("h,w,cin,cout,k,s,p,bias", GRID)
def test_conv2d_matches_torch_on_grid(h, w, cin, cout, k, s, p, bias):
    x = torch.randn(2, cin, h, w, dtype=torch.float64)
    weight = torch.randn(cout, cin, k, k, dtype=torch.float64)
    b = torch.randn(cout, dtype=torch.float64) if bias else None
    expected = F.conv2d(x, weight, b, stride=s, padding=p)
    loops = conv.conv2d_loops(x, weight, b, stride=s, padding=p)
    unfold = conv.conv2d_unfold(x, weight, b, stride=s, padding=p)
    torch.testing.assert_close(loops, expected)
    torch.testing.assert_close(unfold, expected)
    # the output-size formula agrees with what torch produced
    assert expected.shape[2:] == (conv.conv_output_size(h, k, s, p), conv.conv_output_size(w, k, s, p))


def test_conv2d_rectangular_kernel_and_pairs():
    x = torch.randn(1, 2, 9, 8, dtype=torch.float64)
    weight = torch.randn(3, 2, 2, 4, dtype=torch.float64)
    expected = F.conv2d(x, weight, stride=(2, 3), padding=(1, 0))
    torch.testing.assert_close(conv.conv2d_loops(x, weight, stride=(2, 3), padding=(1, 0)), expected)
    torch.testing.assert_close(conv.conv2d_unfold(x, weight, stride=(2, 3), padding=(1, 0)), expected)


def test_conv2d_unfold_gradients_match_torch():
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(4, 3, 3, 3, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(4, dtype=torch.float64, requires_grad=True)
    ours = torch.autograd.grad(conv.conv2d_unfold(x, weight, bias, 2, 1).pow(2).sum(), (x, weight, bias))
    theirs = torch.autograd.grad(F.conv2d(x, weight, bias, 2, 1).pow(2).sum(), (x, weight, bias))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("k,s,p", [(1, 1, 0), (3, 1, 1), (3, 2, 0), (2, 3, 1)])
def test_im2col_matches_f_unfold(k, s, p):
    x = torch.randn(2, 3, 7, 5)
    torch.testing.assert_close(conv.im2col(x, k, s, p), F.unfold(x, k, padding=p, stride=s))


def test_conv_output_size_formula_values():
    assert conv.conv_output_size(6, 3) == 4  # seed 003's example
    assert conv.conv_output_size(224, 11, 4, 2) == 55  # AlexNet conv1 as torch pads it
    assert conv.conv_output_size(227, 11, 4, 0) == 55
    assert conv.conv_output_size(7, 3, 2, 0) == 3  # floor, not round
    assert conv.conv_output_size(3, 5, 1, 1) == 1  # kernel equal to the padded input


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 0), (2, 1, 1)])
def test_pooling_matches_torch(k, s, p):
    x = torch.randn(2, 3, 7, 6)
    torch.testing.assert_close(conv.max_pool2d(x, k, s, p), F.max_pool2d(x, k, s, p))
    torch.testing.assert_close(conv.avg_pool2d(x, k, s, p), F.avg_pool2d(x, k, s, p))
    assert conv.max_pool2d(x, k, s, p).shape[1] == 3  # channels unchanged


def test_pooling_default_stride_is_kernel():
    x = torch.randn(1, 2, 8, 8)
    assert conv.max_pool2d(x, 2).shape == (1, 2, 4, 4)
    torch.testing.assert_close(conv.avg_pool2d(x, 2), F.avg_pool2d(x, 2))


def test_pooling_gradient_matches_torch():
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64, requires_grad=True)
    (ours,) = torch.autograd.grad(conv.max_pool2d(x, 2).sum(), x)
    (theirs,) = torch.autograd.grad(F.max_pool2d(x, 2).sum(), x)
    torch.testing.assert_close(ours, theirs)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 9])
@pytest.mark.parametrize("alpha,beta,k", [(1e-4, 0.75, 1.0), (0.5, 0.75, 2.0), (1.0, 0.5, 0.5)])
def test_local_response_norm_matches_torch(size, alpha, beta, k):
    x = torch.randn(2, 7, 4, 3, dtype=torch.float64) * 3
    expected = nn.LocalResponseNorm(size, alpha=alpha, beta=beta, k=k)(x)
    torch.testing.assert_close(conv.local_response_norm(x, size, alpha, beta, k), expected)


def test_receptive_field_recurrence_values():
    # three 3x3 stride-1 convs see 7x7 (VGG's argument); a stride-2 layer doubles later growth
    assert [rf.size for rf in conv.receptive_field([(3, 1, 1)] * 3)] == [3, 5, 7]
    rfs = conv.receptive_field([(3, 1, 0), (2, 2, 0), (3, 1, 0), (2, 2, 0), (3, 1, 0)])
    assert [rf.size for rf in rfs] == [3, 4, 8, 10, 18]
    assert [rf.jump for rf in rfs] == [1, 2, 2, 4, 4]
    assert conv.receptive_field([(11, 4, 2)])[0].start == 3.0  # centre of unit 0 is input pixel 3


STACKS = [
    [(3, 1, 1)] * 3,
    [(3, 1, 0), (2, 2, 0), (3, 1, 0), (2, 2, 0), (3, 1, 0)],
    [(5, 2, 2), (3, 2, 1), (3, 1, 1)],
    [(1, 1, 0), (4, 3, 1), (3, 2, 0)],
]


@pytest.mark.parametrize("layers", STACKS)
def test_receptive_field_agrees_with_gradient(layers):
    size = 40
    model = nn.Sequential(*[nn.Conv2d(1, 1, k, s, p, bias=False) for k, s, p in layers])
    for m in model:
        nn.init.constant_(m.weight, 1.0)
    rf = conv.receptive_field(layers)[-1]
    out = model(torch.zeros(1, 1, size, size))
    i = j = out.shape[-1] // 2
    grad = conv.gradient_receptive_field(model, (1, size, size), (i, j))
    rows = torch.nonzero(grad.sum(1)).flatten()
    cols = torch.nonzero(grad.sum(0)).flatten()
    lo, hi = rf.span(i)
    assert 0 <= lo and hi < size, "pick a unit whose field lies inside the image"
    assert (rows.min().item(), rows.max().item()) == (lo, hi)
    assert (cols.min().item(), cols.max().item()) == rf.span(j)
    assert hi - lo + 1 == rf.size


def test_conv_errors_name_shapes():
    x = torch.randn(1, 3, 5, 5)
    with pytest.raises(ValueError, match=r"expects 2 input channels.*has 3"):
        conv.conv2d_unfold(x, torch.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"expects 2 input channels.*has 3"):
        conv.conv2d_loops(x, torch.randn(4, 2, 3, 3))
    with pytest.raises(ValueError, match=r"kernel size 9 is larger than the padded input 7"):
        conv.conv2d_unfold(x, torch.randn(1, 3, 9, 9), padding=1)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\).*3-D"):
        conv.conv2d_loops(torch.randn(3, 5, 5), torch.randn(1, 3, 3, 3))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        conv.conv2d_unfold(x, torch.randn(4, 3, 3, 3), torch.randn(3))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv.conv2d_unfold(x, torch.randn(4, 3, 3, 3), stride=0)
    with pytest.raises(TypeError, match="torch.Tensor"):
        conv.im2col([[1.0]], 1)


def test_other_errors():
    with pytest.raises(ValueError, match="padding must be >= 0"):
        conv.conv_output_size(5, 3, 1, -1)
    with pytest.raises(ValueError, match="larger than the padded input"):
        conv.max_pool2d(torch.randn(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="at most half the kernel"):
        conv.max_pool2d(torch.randn(1, 1, 6, 6), 2, padding=2)
    with pytest.raises(ValueError, match="at least 3 dims"):
        conv.local_response_norm(torch.randn(4, 5), 3)
    with pytest.raises(ValueError, match=r"layer 1 must be \(kernel, stride, padding\)"):
        conv.receptive_field([(3, 1, 0), (3, 1)])
    with pytest.raises(ValueError, match="stride of layer 0 must be >= 1, got 0"):
        conv.receptive_field([(3, 0, 1)])
    with pytest.raises(TypeError, match="padding of layer 0 must be an int"):
        conv.receptive_field([(3, 1, (1, 1))])
    model = nn.Conv2d(1, 1, 3)
    with pytest.raises(ValueError, match="outside the output map"):
        conv.gradient_receptive_field(model, (1, 5, 5), (3, 0))
    with pytest.raises(ValueError, match=r"input_shape=\(1, 5, 5\), got \(1, 4, 5\)"):
        conv.gradient_receptive_field(model, (1, 5, 5), (0, 0), x=torch.randn(1, 4, 5))


def test_gradient_receptive_field_with_relu_stays_inside():
    layers = [(3, 1, 1), (3, 2, 1), (3, 1, 1)]
    mods = []
    for k, s, p in layers:
        mods += [nn.Conv2d(1 if not mods else 2, 2, k, s, p), nn.ReLU()]
    model = nn.Sequential(*mods[:-1])
    grad = conv.gradient_receptive_field(model, (1, 20, 20), (5, 5), x=torch.randn(1, 20, 20))
    lo, hi = conv.receptive_field(layers)[-1].span(5)
    inside = torch.zeros(20, 20, dtype=torch.bool)
    inside[lo : hi + 1, lo : hi + 1] = True
    assert (grad[~inside] == 0).all()
    assert (grad[inside] > 0).any()
