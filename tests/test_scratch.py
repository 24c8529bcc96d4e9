"""dlbook.scratch: the NumPy BP network against torch.autograd and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbook import scratch


def _torch_loss(params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, l2: float = 0.0):
    """The same network written in torch (float64), returning the loss and the leaf tensors."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    B = torch.sigmoid(Xt @ t["V"] - t["gamma"])
    Yhat = torch.sigmoid(B @ t["W"] - t["theta"])
    loss = 0.5 * ((Yhat - Yt) ** 2).sum(dim=1).mean()
    loss = loss + 0.5 * l2 * ((t["V"] ** 2).sum() + (t["W"] ** 2).sum())
    return loss, t, Yhat


def _data(m=7, d=3, l=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, d)), rng.uniform(size=(m, l))


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def test_sigmoid_matches_torch_and_does_not_overflow():
    z = np.array([-800.0, -30.0, -1.0, 0.0, 2.5, 40.0, 800.0])
    with np.errstate(over="raise"):  # underflow to 0 is harmless
        s = scratch.sigmoid(z)
    np.testing.assert_allclose(s, torch.sigmoid(torch.tensor(z)).numpy(), rtol=1e-12, atol=0)


def test_shapes():
    net = scratch.BPNetwork(3, 5, 2, seed=0)
    X, Y = _data()
    B, Yhat = net.forward(X)
    assert B.shape == (7, 5) and Yhat.shape == (7, 2)
    assert net.forward(X[0])[1].shape == (1, 2)  # one sample becomes a batch of one
    t = net.terms(X, Y)
    assert t["g"].shape == (7, 2) and t["e"].shape == (7, 5)
    grads = net.gradients(X, Y)
    for name in scratch.PARAM_NAMES:
        assert grads[name].shape == getattr(net, name).shape


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradients_match_torch_autograd(seed, l2):
    rng = np.random.default_rng(seed)
    d, q, l = rng.integers(1, 6, size=3)
    net = scratch.BPNetwork(int(d), int(q), int(l), seed=seed, scale=2.0)
    X, Y = _data(m=9, d=int(d), l=int(l), seed=seed + 10)
    loss, t, Yhat = _torch_loss(net.params(), X, Y, l2)
    loss.backward()
    assert net.loss(X, Y, l2) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(net.predict(X), Yhat.detach().numpy(), rtol=1e-12)
    grads = net.gradients(X, Y, l2)
    for name in scratch.PARAM_NAMES:
        assert _rel(grads[name], t[name].grad.numpy()) <= 1e-10, name


def test_gradients_match_central_differences():
    net = scratch.BPNetwork(4, 3, 2, seed=5)
    X, Y = _data(m=6, d=4, l=2, seed=3)
    grads = net.gradients(X, Y)
    eps = 1e-6
    for name in scratch.PARAM_NAMES:
        p = getattr(net, name)
        num = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + eps
            up = net.loss(X, Y)
            p[idx] = old - eps
            down = net.loss(X, Y)
            p[idx] = old
            num[idx] = (up - down) / (2 * eps)
        assert _rel(grads[name], num) <= 1e-6, name


def test_g_and_e_are_minus_the_derivatives_wrt_net_inputs():
    """g_j = -dE_k/d beta_j and e_h = -dE_k/d alpha_h, checked with torch on one sample."""
    net = scratch.BPNetwork(3, 4, 2, seed=7)
    X, Y = _data(m=1, d=3, l=2, seed=8)
    p = {k: torch.tensor(v) for k, v in net.params().items()}
    alpha = (torch.tensor(X) @ p["V"]).requires_grad_()
    B = torch.sigmoid(alpha - p["gamma"])
    beta = B @ p["W"]
    beta.retain_grad()
    E = 0.5 * ((torch.sigmoid(beta - p["theta"]) - torch.tensor(Y)) ** 2).sum()
    E.backward()
    t = net.terms(X, Y)
    np.testing.assert_allclose(t["g"], -beta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(t["e"], -alpha.grad.numpy(), rtol=1e-12)


def test_update_standard_is_one_sgd_step_on_E_k():
    net = scratch.BPNetwork(2, 3, 1, seed=1)
    X, Y = _data(m=1, d=2, l=1, seed=2)
    before = net.params()
    grads = net.gradients(X, Y, l2=0.1)
    net.update_standard(X[0], Y[0], eta=0.5, l2=0.1)
    for name in scratch.PARAM_NAMES:
        np.testing.assert_allclose(getattr(net, name), before[name] - 0.5 * grads[name], rtol=1e-12)


def test_accumulated_step_equals_average_of_standard_directions():
    net = scratch.BPNetwork(2, 4, 1, seed=3)
    X, Y = _data(m=5, d=2, l=1, seed=4)
    total = {k: np.zeros_like(v) for k, v in net.params().items()}
    for k in range(5):  # sum of per-sample gradients with the weights frozen
        g = net.gradients(X[k], Y[k])
        for name in total:
            total[name] += g[name] / 5
    full = net.gradients(X, Y)
    for name in total:
        np.testing.assert_allclose(full[name], total[name], rtol=1e-12)


def test_training_reduces_loss_and_counts_updates():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    Y = np.array([[0], [1], [1], [0]], dtype=float)
    net_s, net_a = scratch.BPNetwork(2, 4, 1, seed=0), scratch.BPNetwork(2, 4, 1, seed=0)
    hs = scratch.train_standard(net_s, X, Y, eta=2.0, epochs=50, seed=0)
    ha = scratch.train_accumulated(net_a, X, Y, eta=2.0, epochs=50)
    assert hs["updates"][-1] == 200 and ha["updates"][-1] == 50
    assert hs["train_loss"][-1] < hs["train_loss"][0]
    assert ha["train_loss"][-1] < ha["train_loss"][0]
    assert len(hs["train_loss"]) == 51


def test_early_stopping_restores_best_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    Y = rng.uniform(size=(20, 1))  # pure noise: the validation error soon rises
    Xv, Yv = rng.normal(size=(20, 2)), rng.uniform(size=(20, 1))
    net = scratch.BPNetwork(2, 10, 1, seed=0)
    h = scratch.train_accumulated(net, X, Y, eta=2.0, epochs=500, X_val=Xv, Y_val=Yv, patience=20)
    assert h["epochs_run"] < 500
    assert h["epochs_run"] - h["best_epoch"] == 20
    assert net.loss(Xv, Yv) == pytest.approx(min(h["val_loss"]), rel=1e-12)


@pytest.mark.parametrize("mode", ["standard", "accumulated"])
@pytest.mark.parametrize("kw", [{}, {"l2": 1e-3}, {"val": True}, {"val": True, "patience": 5, "l2": 1e-4}])
def test_training_loops_equal_the_public_methods_bit_for_bit(mode, kw):
    """train_* skip the per-call input checks and share a forward pass: the numbers must not change."""
    kw = dict(kw)
    X, Y = _data(m=12, d=2, l=1, seed=1)
    Xv, Yv = _data(m=9, d=2, l=1, seed=2)
    val = kw.pop("val", False)
    l2, patience = kw.get("l2", 0.0), kw.get("patience")
    net, ref = scratch.BPNetwork(2, 5, 1, seed=3), scratch.BPNetwork(2, 5, 1, seed=3)
    epochs = 15 if mode == "standard" else 120
    train = scratch.train_standard if mode == "standard" else scratch.train_accumulated
    h = train(net, X, Y, eta=3.0, epochs=epochs, seed=4, **({"X_val": Xv, "Y_val": Yv} if val else {}), **kw)
    # the reference: the loop written with the public, checked methods only
    rng, losses, vals, best, best_epoch = np.random.default_rng(4), [ref.loss(X, Y)], [], ref.params(), 0
    if val:
        vals.append(ref.loss(Xv, Yv))
    for epoch in range(1, epochs + 1):
        if mode == "standard":
            for k in rng.permutation(len(X)):
                ref.update_standard(X[k], Y[k], 3.0, l2)
        else:
            ref.step(ref.gradients(X, Y, l2), 3.0)
        losses.append(ref.loss(X, Y))
        if val:
            vals.append(ref.loss(Xv, Yv))
            if vals[-1] < vals[best_epoch]:
                best, best_epoch = ref.params(), epoch
            elif patience is not None and epoch - best_epoch >= patience:
                break
    if patience is not None:
        ref.set_params(best)
    assert h["train_loss"] == losses and h["val_loss"] == vals
    assert all(np.array_equal(a, b) for a, b in zip(net.params().values(), ref.params().values()))


def test_bad_input_raises_clear_errors():
    net = scratch.BPNetwork(3, 4, 2)
    with pytest.raises(ValueError, match=r"X must have shape \(m, 3\).*got \(5, 4\)"):
        net.forward(np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"got \(2, 3, 3\)"):
        net.forward(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"Y must have shape \(m, 2\)"):
        net.gradients(np.zeros((5, 3)), np.zeros((5, 1)))
    single = scratch.BPNetwork(2, 3, 1)
    with pytest.raises(ValueError, match=r"got \(6,\); for one output per sample use shape \(6, 1\)"):
        single.loss(np.zeros((6, 2)), np.zeros(6))
    with pytest.raises(ValueError, match="same number of rows"):
        net.loss(np.zeros((5, 3)), np.zeros((4, 2)))
    with pytest.raises(TypeError, match="numbers"):
        net.forward(np.array([["a", "b", "c"]]))
    with pytest.raises(ValueError, match="one sample"):
        net.update_standard(np.zeros((2, 3)), np.zeros((2, 2)), eta=0.1)
    with pytest.raises(ValueError, match="positive int"):
        scratch.BPNetwork(3, 0, 2)
    with pytest.raises(ValueError, match=r"V must have shape \(3, 4\)"):
        net.set_params({**net.params(), "V": np.zeros((4, 3))})
    with pytest.raises(ValueError, match="eta must be positive"):
        scratch.train_standard(net, np.zeros((2, 3)), np.zeros((2, 2)), eta=0.0)
    with pytest.raises(ValueError, match="needs X_val"):
        scratch.train_standard(net, np.zeros((2, 3)), np.zeros((2, 2)), patience=3)
