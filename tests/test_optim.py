"""dlbook.optim against torch.optim, step for step, plus hyper-parameter errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlbook import optim

STEPS = 150


def _problem(seed: int = 0):
    """A small two-layer regression net in float64 and a fixed stream of mini-batches."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(STEPS, 8, 5, generator=g, dtype=torch.float64)  # (steps, batch, features)
    Y = torch.randn(STEPS, 8, 3, generator=g, dtype=torch.float64)
    W1 = torch.randn(5, 7, generator=g, dtype=torch.float64) * 0.5
    b1 = torch.randn(7, generator=g, dtype=torch.float64) * 0.1
    W2 = torch.randn(7, 3, generator=g, dtype=torch.float64) * 0.5
    return X, Y, [W1, b1, W2]


def _loss(params, x, y):
    W1, b1, W2 = params
    return ((torch.tanh(x @ W1 + b1) @ W2 - y) ** 2).mean()  # (B, 7) @ (7, 3) -> (B, 3)


def _run(make_opt, X, Y, init):
    params = [t.clone().requires_grad_(True) for t in init]
    opt = make_opt(params)
    trace = []
    for x, y in zip(X, Y):
        opt.zero_grad()
        _loss(params, x, y).backward()
        opt.step()
        trace.append(torch.cat([p.detach().reshape(-1) for p in params]).clone())
    return torch.stack(trace)  # (steps, n_params)


CASES = [
    (optim.SGD, torch.optim.SGD, dict(lr=0.1)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, weight_decay=0.1)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    (optim.Momentum, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.Nesterov, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.AdaGrad, torch.optim.Adagrad, dict(lr=0.1)),
    (optim.AdaGrad, torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1,
                                               initial_accumulator_value=0.5, eps=1e-6)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.005, momentum=0.8, centered=True, weight_decay=0.01)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.01)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.01, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.1)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.02, betas=(0.0, 0.99), amsgrad=True)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.01)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.5, betas=(0.8, 0.95))),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


def _torch_kwargs(ours, kwargs):
    kw = dict(kwargs)
    if ours is optim.Momentum:
        kw.setdefault("momentum", 0.9)
    if ours is optim.Nesterov:
        kw.update(nesterov=True)
    return kw


@pytest.mark.parametrize("ours,theirs,kwargs", CASES, ids=lambda v: getattr(v, "__name__", None) or str(v))
def test_matches_torch_step_for_step(ours, theirs, kwargs):
    X, Y, init = _problem()
    mine = _run(lambda ps: ours(ps, **kwargs), X, Y, init)
    ref = _run(lambda ps: theirs(ps, **_torch_kwargs(ours, kwargs)), X, Y, init)
    assert mine.shape == (STEPS, 5 * 7 + 7 + 7 * 3)
    # the parameters move (a frozen optimiser would also "agree")
    assert (ref[-1] - torch.cat([t.reshape(-1) for t in init])).abs().max() > 1e-2
    assert (mine - ref).abs().max() <= 1e-6 * max(1.0, ref.abs().max().item())


def test_adamw_differs_from_adam_with_l2():
    X, Y, init = _problem(1)
    a = _run(lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.5), X, Y, init)
    w = _run(lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.5), X, Y, init)
    assert (a[-1] - w[-1]).abs().max() > 1e-3


def test_adagrad_accumulator_is_a_plain_sum():
    p = torch.zeros(3, requires_grad=True)
    opt = optim.AdaGrad([p], lr=0.1, initial_accumulator_value=0.25)
    grads = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0], [0.5, 1.0, 1.0]])
    for g in grads:
        p.grad = g.clone()
        opt.step()
    assert torch.allclose(opt.state[0]["sum"], 0.25 + (grads**2).sum(0))
    assert opt.state[0]["step"] == 3


def test_skips_parameters_without_grad_and_zero_grad():
    a = torch.ones(2, requires_grad=True)
    b = torch.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=0.5)
    a.grad = torch.ones(2)
    opt.step()
    assert torch.equal(a.detach(), torch.full((2,), 0.5)) and torch.equal(b.detach(), torch.ones(2))
    assert 1 not in opt.state
    opt.zero_grad(set_to_none=False)
    assert torch.equal(a.grad, torch.zeros(2))
    opt.zero_grad()
    assert a.grad is None


def test_works_with_fit():
    import dlbook

    torch.manual_seed(0)
    X = torch.randn(64, 4)
    y = (X[:, 0] > 0).long()
    model = nn.Linear(4, 2)
    loader = [(X[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
    hist = dlbook.fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), loader,
                      epochs=20, progress=False)
    assert hist["train_loss"][-1] < 0.5 * hist["train_loss"][0]


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda ps: optim.SGD(ps, lr=-0.1), "lr must be >= 0"),
        (lambda ps: optim.SGD(ps, lr="0.1"), "lr must be a real number"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=1.0), "momentum must be < 1"),
        (lambda ps: optim.SGD(ps, lr=0.1, nesterov=True), "Nesterov momentum needs momentum > 0"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening == 0"),
        (lambda ps: optim.Momentum(ps, momentum=0.0), "Momentum needs momentum > 0"),
        (lambda ps: optim.AdaGrad(ps, eps=-1e-10), "eps must be >= 0"),
        (lambda ps: optim.RMSprop(ps, alpha=1.5), "alpha must be < 1"),
        (lambda ps: optim.Adam(ps, betas=(0.9, 1.0)), "beta2 must be < 1"),
        (lambda ps: optim.Adam(ps, betas=(0.9,)), "betas must be a pair"),
        (lambda ps: optim.AdamW(ps, weight_decay=-0.01), "weight_decay must be >= 0"),
        (lambda ps: optim.Adam(ps, lr=float("nan")), "lr must be a real number"),
    ],
)
def test_bad_hyper_parameters(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make([torch.zeros(2, requires_grad=True)])


def test_bad_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="single Tensor"):
        optim.Adam(torch.zeros(2, requires_grad=True))
    with pytest.raises(TypeError, match="must be a torch.Tensor, got list"):
        optim.Adam([[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"shape \(2,\) does not require gradients"):
        optim.Adam([torch.zeros(2)])


def test_fused_adam_supported_agrees_with_what_torch_does():
    for device, dtype in (("cpu", torch.float32), ("cpu", torch.float64), ("meta", torch.float32)):
        p = torch.zeros(3, device=device, dtype=dtype, requires_grad=True)
        p.grad = torch.ones_like(p)
        try:
            torch.optim.Adam([p], fused=True).step()
            runs = True
        except RuntimeError:
            runs = False
        assert optim.fused_adam_supported(device, dtype) is runs
        assert optim.fused_adam_supported(torch.device(device), dtype) is runs
    assert optim.fused_adam_supported("cpu")  # the course requires torch >= 2.4, which has the CPU kernel
    assert not optim.fused_adam_supported("meta")  # no kernel: a fake device without data


def test_fused_adam_supported_rejects_bad_input():
    with pytest.raises(TypeError, match="device"):
        optim.fused_adam_supported(3.5)
    with pytest.raises(TypeError, match="floating-point"):
        optim.fused_adam_supported("cpu", torch.int64)
