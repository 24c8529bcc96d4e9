"""dlbook.nn_basics against PyTorch's own activations and losses."""

import pytest
import torch
import torch.nn.functional as F

from dlbook import nn_basics as nb

torch.manual_seed(0)
X = torch.linspace(-30, 30, 2001, dtype=torch.float64)
ATOL = 1e-6


# ---------------------------------------------------------------- neurons and perceptron

GATES = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def test_step_and_mp_neuron():
    assert torch.equal(nb.step(torch.tensor([-1.0, 0.0, 2.0])), torch.tensor([0.0, 1.0, 1.0]))
    # AND: fires only when both inputs are 1 (sum 2 >= threshold 1.5)
    out = nb.mp_neuron(GATES, torch.tensor([1.0, 1.0]), 1.5)
    assert torch.equal(out, torch.tensor([0.0, 0.0, 0.0, 1.0]))
    assert torch.equal(nb.step_grad(X), torch.zeros_like(X))


def test_mp_neuron_shape_error():
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(3,\)"):
        nb.mp_neuron(GATES, torch.ones(3), 0.5)


@pytest.mark.parametrize(
    "name,X_,y",
    [
        ("and", GATES, torch.tensor([0, 0, 0, 1])),
        ("or", GATES, torch.tensor([0, 1, 1, 1])),
        ("not", torch.tensor([[0.0], [1.0]]), torch.tensor([1, 0])),
    ],
)
def test_perceptron_converges_on_separable_gates(name, X_, y):
    res = nb.perceptron_train(X_, y, lr=1.0, max_epochs=50)
    assert res.converged, name
    assert res.mistakes[-1] == 0 and all(m > 0 for m in res.mistakes[:-1])
    assert torch.equal(nb.perceptron_predict(X_, res.w, res.b), y.float())
    assert len(res.history) == sum(res.mistakes) + 1


def test_perceptron_fails_on_xor():
    y = torch.tensor([0, 1, 1, 0])
    res = nb.perceptron_train(GATES, y, max_epochs=100)
    assert not res.converged and res.epochs == 100
    acc = (nb.perceptron_predict(GATES, res.w, res.b) == y).float().mean()
    assert acc <= 0.75


def test_perceptron_errors():
    with pytest.raises(ValueError, match="targets in"):
        nb.perceptron_train(GATES, torch.tensor([0, 2, 1, 0]))
    with pytest.raises(ValueError, match=r"\(4,\)"):
        nb.perceptron_train(GATES, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="lr"):
        nb.perceptron_train(GATES, torch.tensor([0, 1, 1, 0]), lr=0)


# ---------------------------------------------------------------- activations

ACT_PAIRS = [
    (nb.sigmoid, torch.sigmoid),
    (nb.tanh, torch.tanh),
    (nb.relu, F.relu),
    (lambda x: nb.leaky_relu(x, 0.1), lambda x: F.leaky_relu(x, 0.1)),
    (lambda x: nb.elu(x, 1.5), lambda x: F.elu(x, 1.5)),
]
GRAD_PAIRS = [
    (nb.sigmoid_grad, torch.sigmoid),
    (nb.tanh_grad, torch.tanh),
    (nb.relu_grad, F.relu),
    (lambda x: nb.leaky_relu_grad(x, 0.1), lambda x: F.leaky_relu(x, 0.1)),
    (lambda x: nb.elu_grad(x, 1.5), lambda x: F.elu(x, 1.5)),
]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("ours,theirs", ACT_PAIRS)
def test_activations_match_torch(ours, theirs, dtype):
    x = X.to(dtype)
    y = ours(x)
    assert y.dtype == dtype and y.shape == x.shape
    assert torch.allclose(y, theirs(x), atol=ATOL, rtol=0)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("ours,theirs", GRAD_PAIRS)
def test_derivatives_match_autograd(ours, theirs):
    x = torch.cat([X, torch.tensor([0.0], dtype=X.dtype)]).requires_grad_(True)
    (g,) = torch.autograd.grad(theirs(x).sum(), x)
    assert torch.allclose(ours(x.detach()), g, atol=ATOL, rtol=0)


def test_saturation():
    assert nb.sigmoid_grad(torch.tensor(0.0)) == 0.25
    assert nb.sigmoid_grad(torch.tensor(10.0)) < 5e-5
    assert nb.tanh_grad(torch.tensor(0.0)) == 1.0
    assert nb.tanh_grad(torch.tensor(-10.0)) < 1e-8


def test_softmax_matches_torch_and_is_stable():
    z = torch.randn(5, 7, dtype=torch.float64) * 10
    assert torch.allclose(nb.softmax(z), torch.softmax(z, dim=-1), atol=ATOL)
    assert torch.allclose(nb.softmax(z, dim=0), torch.softmax(z, dim=0), atol=ATOL)
    assert torch.allclose(nb.log_softmax(z), torch.log_softmax(z, dim=-1), atol=ATOL)
    big = torch.tensor([[1000.0, 1001.0, 1002.0]])
    assert torch.isnan(nb.softmax_naive(big)).all()  # exp overflows to inf, inf/inf = nan
    assert torch.allclose(nb.softmax(big), torch.softmax(big, dim=-1), atol=ATOL)
    assert torch.allclose(nb.softmax(z + 123.0), nb.softmax(z), atol=1e-12)  # shift invariance


def test_activation_type_error():
    with pytest.raises(TypeError, match="expects a tensor"):
        nb.relu("not a tensor")
    # integer tensors are promoted instead of failing inside torch.exp
    assert nb.sigmoid(torch.tensor([0])).dtype == torch.get_default_dtype()


# ---------------------------------------------------------------- losses

PRED = torch.randn(64, dtype=torch.float64) * 3
TARGET = torch.randn(64, dtype=torch.float64) * 3


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_match_torch(reduction):
    assert torch.allclose(nb.mse(PRED, TARGET, reduction), F.mse_loss(PRED, TARGET, reduction=reduction), atol=ATOL)
    assert torch.allclose(nb.mae(PRED, TARGET, reduction), F.l1_loss(PRED, TARGET, reduction=reduction), atol=ATOL)
    for delta in (0.5, 1.0, 2.0):
        ours = nb.huber(PRED, TARGET, delta, reduction)
        assert torch.allclose(ours, F.huber_loss(PRED, TARGET, reduction=reduction, delta=delta), atol=ATOL)


def test_cross_entropy_matches_torch():
    logits = torch.randn(16, 5, dtype=torch.float64) * 4
    idx = torch.randint(0, 5, (16,))
    soft = torch.softmax(torch.randn(16, 5, dtype=torch.float64), dim=1)
    for red in ("mean", "sum", "none"):
        assert torch.allclose(nb.cross_entropy(logits, idx, red), F.cross_entropy(logits, idx, reduction=red), atol=ATOL)
        assert torch.allclose(nb.cross_entropy(logits, soft, red), F.cross_entropy(logits, soft, reduction=red), atol=ATOL)
    # huge logits stay finite thanks to log-softmax
    assert torch.isfinite(nb.cross_entropy(logits * 1e4, idx))


def test_cross_entropy_gradient_matches_torch():
    logits = torch.randn(8, 4, dtype=torch.float64, requires_grad=True)
    idx = torch.randint(0, 4, (8,))
    (g1,) = torch.autograd.grad(nb.cross_entropy(logits, idx), logits)
    (g2,) = torch.autograd.grad(F.cross_entropy(logits, idx), logits)
    assert torch.allclose(g1, g2, atol=ATOL)
    # the textbook result: d CE / d z = (softmax(z) - onehot(y)) / B
    expected = (torch.softmax(logits.detach(), 1) - F.one_hot(idx, 4)) / 8
    assert torch.allclose(g1, expected, atol=ATOL)


def test_bce_and_kl_match_torch():
    z = torch.randn(32, dtype=torch.float64) * 5
    y = torch.randint(0, 2, (32,)).double()
    p = torch.sigmoid(z)
    assert torch.allclose(nb.binary_cross_entropy(p, y), F.binary_cross_entropy(p, y), atol=ATOL)
    assert torch.allclose(nb.binary_cross_entropy_with_logits(z, y), F.binary_cross_entropy_with_logits(z, y), atol=ATOL)
    assert torch.isfinite(nb.binary_cross_entropy_with_logits(z * 1e3, y))
    P = torch.softmax(torch.randn(6, 4, dtype=torch.float64), 1)
    Q = torch.softmax(torch.randn(6, 4, dtype=torch.float64), 1)
    assert torch.allclose(nb.kl_divergence(P, Q), F.kl_div(Q.log(), P, reduction="batchmean"), atol=ATOL)
    assert torch.allclose(nb.kl_divergence(P, Q, "sum"), F.kl_div(Q.log(), P, reduction="sum"), atol=ATOL)
    assert nb.kl_divergence(P, P) == pytest.approx(0.0, abs=1e-12)


def test_cross_entropy_is_kl_plus_entropy():
    P = torch.softmax(torch.randn(6, 4, dtype=torch.float64), 1)
    logits = torch.randn(6, 4, dtype=torch.float64)
    Q = torch.softmax(logits, 1)
    ce = nb.cross_entropy(logits, P, reduction="none")
    assert torch.allclose(ce, nb.kl_divergence(P, Q, "none") + nb.entropy(P), atol=1e-10)


def test_hinge_matches_torch_multi_margin_and_decreases():
    s = torch.randn(40, dtype=torch.float64) * 2
    y = torch.randint(0, 2, (40,)) * 2 - 1
    two_scores = torch.stack([-s / 2, s / 2], dim=1)  # (N, 2): margin between them is s
    torch_version = 2 * F.multi_margin_loss(two_scores, (y + 1) // 2)
    assert torch.allclose(nb.hinge(s, y.double()), torch_version, atol=ATOL)
    m = torch.linspace(-2, 2, 9, dtype=torch.float64)  # values of y * y'
    loss = nb.hinge(m, torch.ones_like(m), reduction="none")
    assert torch.all(loss[m >= 1] == 0)
    assert torch.all(torch.diff(loss[m <= 1]) < 0)  # decreases as y*y' grows


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: nb.mse(torch.zeros(3), torch.zeros(4)), r"\(3,\) and \(4,\)"),
        (lambda: nb.mse(torch.zeros(3), torch.zeros(3), "avg"), "reduction"),
        (lambda: nb.huber(torch.zeros(3), torch.zeros(3), delta=0), "delta"),
        (lambda: nb.cross_entropy(torch.zeros(4), torch.zeros(4, dtype=torch.long)), r"\(B, C\)"),
        (lambda: nb.cross_entropy(torch.zeros(4, 3), torch.zeros(5, dtype=torch.long)), r"\(4,\)"),
        (lambda: nb.cross_entropy(torch.zeros(4, 3), torch.full((4,), 3)), r"\[0, 2\]"),
        (lambda: nb.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0])), "probabilities"),
        (lambda: nb.hinge(torch.zeros(2), torch.tensor([0.0, 1.0])), r"\{-1, \+1\}"),
        (lambda: nb.kl_divergence(torch.ones(2, 2) / 2, torch.ones(2, 2) / 2, "mean"), "batchmean"),
    ],
)
def test_loss_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_perceptron_initial_weights_and_shape_error():
    y = torch.tensor([0, 0, 0, 1])
    res = nb.perceptron_train(GATES, y, w0=torch.tensor([1.0, 1.0]), b0=-1.5)
    assert res.converged and res.epochs == 1 and len(res.history) == 1  # already correct: no update
    with pytest.raises(ValueError, match=r"w0 must have shape \(2,\)"):
        nb.perceptron_train(GATES, y, w0=torch.ones(3))


def test_losses_have_gradients_matching_torch():
    p = PRED.clone().requires_grad_(True)
    for ours, theirs in [(nb.mse, F.mse_loss), (nb.mae, F.l1_loss), (nb.huber, F.huber_loss)]:
        (g1,) = torch.autograd.grad(ours(p, TARGET), p)
        (g2,) = torch.autograd.grad(theirs(p, TARGET), p)
        assert torch.allclose(g1, g2, atol=ATOL)
