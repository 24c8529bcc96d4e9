"""dlbook.autograd: the scalar Value engine against torch.autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlbook import scratch
from dlbook.autograd import Value, draw_dag, draw_graph, grad, topological_order

UNARY = {
    "exp": (lambda v: v.exp(), torch.exp),
    "log": (lambda v: v.log(), torch.log),
    "tanh": (lambda v: v.tanh(), torch.tanh),
    "sigmoid": (lambda v: v.sigmoid(), torch.sigmoid),
    "relu": (lambda v: v.relu(), torch.relu),
    "neg": (lambda v: -v, lambda t: -t),
    "pow3": (lambda v: v**3, lambda t: t**3),
    "pow-0.5": (lambda v: v**-0.5, lambda t: t**-0.5),
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def _t(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("x", [0.3, 1.7, -1.2])
def test_unary_ops_match_torch(name, x):
    f_value, f_torch = UNARY[name]
    v, t = Value(x), _t(x)
    if x <= 0 and name in {"log", "pow-0.5"}:  # torch returns nan here; Value refuses clearly
        assert math.isnan(f_torch(t).item())
        with pytest.raises(ValueError, match="positive input|not real"):
            f_value(v)
        return
    out, tout = f_value(v), f_torch(t)
    out.backward()
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12)
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("op", list(BINARY))
def test_binary_ops_with_constants_on_both_sides(op):
    f = BINARY[op]
    a, b, ta, tb = Value(1.3), Value(-0.4), _t(1.3), _t(-0.4)
    out = f(f(a, b), 2.0) + f(3.0, a) * f(b, a)
    tout = f(f(ta, tb), 2.0) + f(3.0, ta) * f(tb, ta)
    out.backward()
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-12)


def test_shared_node_gradients_add_up():
    """A node used twice receives the sum of both paths (the multivariate chain rule)."""
    x = Value(0.8)
    y = x * x + x.sigmoid() * x  # x appears four times
    y.backward()
    tx = _t(0.8)
    (tx * tx + tx.sigmoid() * tx).backward()
    assert x.grad == pytest.approx(tx.grad.item(), rel=1e-12)


def test_random_expressions_match_torch():
    rng = np.random.default_rng(0)
    for _ in range(20):
        xs = rng.uniform(0.2, 2.0, size=3)
        vs, ts = [Value(x) for x in xs], [_t(x) for x in xs]

        def expr(a, b, c, log, tanh):
            return log(a * b + c) * tanh(a - c / b) + (a**2 - b) / (c + 1.0)

        out = expr(*vs, log=lambda z: z.log(), tanh=lambda z: z.tanh())
        tout = expr(*ts, log=torch.log, tanh=torch.tanh)
        out.backward()
        tout.backward()
        for v, t in zip(vs, ts):
            assert v.grad == pytest.approx(t.grad.item(), rel=1e-10)


def test_leaf_gradients_accumulate_like_torch_and_zero_grad_clears():
    w = Value(2.0)
    (w * 3.0).backward()
    (w * w).backward()
    assert w.grad == pytest.approx(3.0 + 4.0)
    loss = w * 5.0
    loss.zero_grad()
    assert w.grad == 0.0


def test_backward_seed_scales_gradients():
    x = Value(0.5)
    y = x.exp()
    y.backward(grad=2.5)
    assert x.grad == pytest.approx(2.5 * math.exp(0.5))


def test_topological_order_puts_inputs_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    order = topological_order([d])
    pos = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert pos[id(p)] < pos[id(node)]
    assert order[-1] is d and len(order) == 4


def test_deep_chain_does_not_hit_recursion_limit():
    x = Value(0.1)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-9)


def test_grad_vector_output_needs_seeds_like_torch():
    a, b = Value(1.0), Value(2.0)
    outs = [a * b, a + b]
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        grad(outs, [a, b])
    ta, tb = _t(1.0), _t(2.0)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        torch.stack([ta * tb, ta + tb]).backward()
    got = grad(outs, [a, b], grad_outputs=[0.5, -1.0])
    want = torch.autograd.grad(torch.stack([ta * tb, ta + tb]), [ta, tb], torch.tensor([0.5, -1.0], dtype=torch.float64))
    assert got == pytest.approx([w.item() for w in want])
    assert a.grad == 0.0  # grad() leaves .grad untouched, like torch.autograd.grad
    with pytest.raises(ValueError, match="one seed per output"):
        grad(outs, [a], grad_outputs=[1.0])


def test_bad_input_raises_clear_errors():
    with pytest.raises(TypeError, match=r"one scalar; got an array of shape \(3,\)"):
        Value(np.zeros(3))
    with pytest.raises(TypeError, match=r"shape \(2, 2\)"):
        Value(torch.zeros(2, 2))
    with pytest.raises(TypeError, match="real number, got str"):
        Value("1.0")
    with pytest.raises(TypeError, match="real number, got list"):
        Value(1.0) + [1.0, 2.0]
    with pytest.raises(TypeError, match="constant real exponent"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="log needs a positive input"):
        Value(-1.0).log()
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="not real"):
        Value(-2.0) ** 0.5
    with pytest.raises(TypeError, match="seed gradient"):
        Value(1.0).backward(grad=np.ones(2))
    assert Value(np.array([2.5])).data == 2.5  # a one-element array is fine


def test_trains_the_bp_network_exactly_like_scratch():
    """Standard BP with Value nodes reproduces dlbook.scratch's update rules step for step."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([0.0, 1.0, 1.0, 0.0])
    net = scratch.BPNetwork(2, 3, 1, seed=4)
    V = [[Value(net.V[i, h]) for h in range(3)] for i in range(2)]
    gamma = [Value(g) for g in net.gamma]
    W = [Value(net.W[h, 0]) for h in range(3)]
    theta = Value(net.theta[0])
    params = [p for row in V for p in row] + gamma + W + [theta]
    eta = 0.7
    for _ in range(3):
        for k in range(4):
            b = [(sum((V[i][h] * X[k, i] for i in range(2)), Value(0.0)) - gamma[h]).sigmoid() for h in range(3)]
            yhat = (sum((W[h] * b[h] for h in range(3)), Value(0.0)) - theta).sigmoid()
            E = 0.5 * (yhat - Y[k]) ** 2
            for p in params:
                p.grad = 0.0
            E.backward()
            for p in params:
                p.data -= eta * p.grad
            net.update_standard(X[k], Y[k:k + 1], eta)
    np.testing.assert_allclose([[v.data for v in row] for row in V], net.V, rtol=1e-12)
    np.testing.assert_allclose([w.data for w in W], net.W[:, 0], rtol=1e-12)
    np.testing.assert_allclose([g.data for g in gamma], net.gamma, rtol=1e-12)
    assert theta.data == pytest.approx(net.theta[0], rel=1e-12)


def test_drawing_returns_axes_and_checks_edges():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = Value(1.0, label="x")
    y = (x * 2.0).tanh()
    y.backward()
    ax = draw_graph(y)
    boxes = [t for t in ax.texts if t.get_text()]  # arrows are empty annotations
    assert len(boxes) == 4  # x, the constant 2, the product, tanh
    assert sum(1 for t in ax.texts if not t.get_text()) == 3  # three edges
    with pytest.raises(KeyError, match="in no layer"):
        draw_dag([["a"], ["b"]], [("a", "c")])
    plt.close("all")


def test_drawing_folds_constants_into_their_operations():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = Value(1.0, label="x")
    y = 0.5 * (x * 2.0 - 1.0) ** 2  # constants 0.5, 2, and -1 (itself 1.0 * -1): five leaves
    y.backward()
    full = [t.get_text() for t in draw_graph(y).texts if t.get_text()]
    folded = [t.get_text() for t in draw_graph(y, fold_constants=True).texts if t.get_text()]
    assert len(full) == 10  # x, 0.5, 2, 1, -1, the constant -1 * 1, and the four operations on x
    assert len(folded) == 5  # x and its four operations only
    heads = sorted(t.splitlines()[0] for t in folded)
    assert heads == ["* 0.5", "* 2", "**2", "+ -1", "x"], heads
    with pytest.raises(ValueError, match="bare constant"):
        draw_graph(Value(1.0) * 2.0, fold_constants=True)
    plt.close("all")
