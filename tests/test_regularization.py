"""dlbook.regularization against nn.Dropout and nn.BatchNorm1d/2d, plus shapes and errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook import regularization as reg


# ----------------------------------------------------------------------------- dropout

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_inverted_dropout_matches_nn_dropout_in_expectation(p):
    x = torch.linspace(0.5, 2.0, 50)
    xs = x.expand(20000, 50)  # many independent masks
    ours = reg.dropout_inverted(xs, p, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    theirs = nn.Dropout(p).train()(xs)
    # Kept values are exactly x / (1 - p) in both, dropped ones are 0.
    for out in (ours, theirs):
        kept = out != 0
        assert torch.allclose(out[kept], (xs / (1 - p))[kept])
    # Expectation is x in both, and the drop rate is p (several standard errors of slack).
    se = (x / (1 - p) * (p * (1 - p)) ** 0.5 / 20000**0.5).max()
    assert (ours.mean(0) - x).abs().max() < 5 * se
    assert (theirs.mean(0) - x).abs().max() < 5 * se
    assert abs((ours == 0).float().mean().item() - p) < 0.01
    # Eval mode: identity, like nn.Dropout.eval().
    assert torch.equal(reg.InvertedDropout(p).eval()(x), nn.Dropout(p).eval()(x))


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_direct_dropout_train_and_eval(p):
    x = torch.linspace(0.5, 2.0, 40)
    xs = x.expand(20000, 40)
    out = reg.dropout_direct(xs, p, generator=torch.Generator().manual_seed(1))
    kept = out != 0
    assert torch.equal(out[kept], xs[kept])  # no rescaling in training
    se = (x * (p * (1 - p)) ** 0.5 / 20000**0.5).max()
    assert (out.mean(0) - (1 - p) * x).abs().max() < 5 * se  # E[train output] = (1 - p) x
    assert torch.allclose(reg.DirectDropout(p).eval()(x), (1 - p) * x)  # test time scales to match
    # Direct = inverted up to the constant factor (1 - p) with the same mask.
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.allclose(reg.dropout_direct(xs, p, generator=g1), (1 - p) * reg.dropout_inverted(xs, p, generator=g2))


def test_dropout_gradient_flows_only_through_kept_units():
    x = torch.ones(1000, requires_grad=True)
    out = reg.dropout_inverted(x, 0.5, generator=torch.Generator().manual_seed(0))
    out.sum().backward()
    assert torch.equal(x.grad, (out != 0).float() * 2.0)


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"in \[0, 1\), got 1.0"):
        reg.dropout_inverted(torch.ones(3), 1.0)
    with pytest.raises(TypeError, match="must be a torch.Tensor, got list"):
        reg.dropout_direct([1.0, 2.0], 0.5)
    with pytest.raises(TypeError, match="must be a number"):
        reg.DirectDropout("0.5")


# ----------------------------------------------------------------------------- batch norm

@pytest.mark.parametrize(
    "shape,torch_cls,momentum,affine",
    [
        ((16, 5), nn.BatchNorm1d, 0.1, True),
        ((16, 5, 7), nn.BatchNorm1d, 0.3, True),
        ((8, 5, 4, 3), nn.BatchNorm2d, 0.1, True),
        ((8, 5, 4, 3), nn.BatchNorm2d, None, False),
    ],
)
def test_batchnorm_matches_torch_train_and_eval(shape, torch_cls, momentum, affine):
    torch.manual_seed(0)
    ours = reg.BatchNorm(shape[1], momentum=momentum, affine=affine).double()
    theirs = torch_cls(shape[1], momentum=momentum, affine=affine).double()
    if affine:
        with torch.no_grad():
            w, b = torch.randn(shape[1]), torch.randn(shape[1])
            ours.weight.copy_(w), theirs.weight.copy_(w), ours.bias.copy_(b), theirs.bias.copy_(b)
    for step in range(5):
        x = (torch.randn(shape, dtype=torch.float64) * (step + 1) + step).requires_grad_(True)
        x2 = x.detach().clone().requires_grad_(True)
        y1, y2 = ours(x), theirs(x2)
        assert y1.shape == x.shape
        assert torch.allclose(y1, y2, atol=1e-10)
        upstream = torch.randn(shape, dtype=torch.float64)
        (y1 * upstream).sum().backward()
        (y2 * upstream).sum().backward()
        assert torch.allclose(x.grad, x2.grad, atol=1e-10)
        if affine:
            assert torch.allclose(ours.weight.grad, theirs.weight.grad, atol=1e-10)
            assert torch.allclose(ours.bias.grad, theirs.bias.grad, atol=1e-10)
        ours.zero_grad(), theirs.zero_grad()
    assert torch.allclose(ours.running_mean, theirs.running_mean, atol=1e-12)
    assert torch.allclose(ours.running_var, theirs.running_var, atol=1e-12)
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == 5
    # The running statistics have moved away from their initial (0, 1).
    assert ours.running_mean.abs().max() > 0.1
    ours.eval(), theirs.eval()
    x = torch.randn(shape, dtype=torch.float64) * 3 + 1
    assert torch.allclose(ours(x), theirs(x), atol=1e-10)
    # In eval mode a sample's output does not depend on the rest of the batch.
    assert torch.allclose(ours(x[:1]), ours(x)[:1], atol=1e-12)


def test_batchnorm_train_output_is_standardised():
    bn = reg.BatchNorm(3)
    y = bn(torch.randn(64, 3) * 5 + 2)
    assert torch.allclose(y.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(y.var(0, unbiased=False), torch.ones(3), atol=1e-3)


def test_batchnorm_errors():
    bn = reg.BatchNorm(4)
    with pytest.raises(ValueError, match=r"expects input \(N, 4\).*got \(8, 3\)"):
        bn(torch.randn(8, 3))
    with pytest.raises(ValueError, match=r"got \(4,\)"):
        bn(torch.randn(4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(torch.randn(1, 4))
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        reg.BatchNorm(0)
    with pytest.raises(ValueError, match="momentum must be in"):
        reg.BatchNorm(4, momentum=1.5)


# ----------------------------------------------------------------------------- random shift

def test_random_shift_is_a_translation():
    img = torch.arange(1.0, 26.0).reshape(1, 1, 5, 5)
    out = reg.random_shift(img.expand(200, 1, 5, 5), max_shift=1, padding_mode="constant", fill=0.0,
                           generator=torch.Generator().manual_seed(0))
    assert out.shape == (200, 1, 5, 5)
    seen = set()
    for o in out:
        # find the (dr, dc) whose exact translation with zero fill reproduces the output
        matches = [
            (dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
            if torch.equal(o, torch.roll(F.pad(img[0], (1, 1, 1, 1)), (dr, dc), (1, 2))[:, 1:-1, 1:-1])
        ]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) == 9  # every shift in [-1, 1]^2 occurs


def test_random_shift_single_image_replicate_and_zero():
    img = torch.randn(2, 6, 6)
    out = reg.random_shift(img, max_shift=2, generator=torch.Generator().manual_seed(0))
    assert out.shape == img.shape
    assert torch.equal(reg.random_shift(img, max_shift=0), img)
    # every output value comes from the image itself under replicate padding
    assert set(out.flatten().tolist()) <= set(img.flatten().tolist())


def test_random_shift_module_train_eval_and_flat():
    m = reg.RandomShift(1, image_size=(8, 8))
    x = torch.randn(32, 64)
    torch.manual_seed(0)
    y = m(x)
    assert y.shape == (32, 64) and not torch.equal(y, x)
    assert torch.equal(m.eval()(x), x)
    with pytest.raises(ValueError, match=r"expects flat input \(N, 64\), got \(32, 63\)"):
        m.train()(torch.randn(32, 63))


def test_random_shift_errors():
    with pytest.raises(ValueError, match=r"\(C, H, W\) or \(N, C, H, W\), got shape \(8, 8\)"):
        reg.random_shift(torch.zeros(8, 8))
    with pytest.raises(ValueError, match="max_shift must be a non-negative int"):
        reg.random_shift(torch.zeros(1, 8, 8), max_shift=-1)
    with pytest.raises(ValueError, match="padding_mode"):
        reg.RandomShift(1, padding_mode="reflect")
