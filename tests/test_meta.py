"""dlbook.meta: task samplers, MAML meta-gradients (second- and first-order), prototypical networks."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook import meta


def _mlp(dtype=torch.float64) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1)).to(dtype)


def _tasks(n=3, k=6, q=7, seed=1, dtype=torch.float64):
    t = meta.sample_sinusoid_tasks(n, k, q, torch.Generator().manual_seed(seed))
    return [v.to(dtype) for v in t]


def _unrolled_mlp_meta_grad(model, tasks, lr, steps, first_order):
    """An independent MAML: the MLP's forward pass written by hand, the inner loop unrolled with
    torch.autograd.grad(create_graph=True), no functional_call and no torch.func."""
    theta = [p.detach().clone().requires_grad_(True) for p in model.parameters()]

    def forward(w, x):
        h = torch.tanh(x @ w[0].T + w[1])
        h = torch.tanh(h @ w[2].T + w[3])
        return h @ w[4].T + w[5]

    total = torch.zeros((), dtype=theta[0].dtype)
    acc = [torch.zeros_like(t) for t in theta]
    for xs, ys, xq, yq in tasks:
        w = theta
        for _ in range(steps):
            loss = ((forward(w, xs) - ys) ** 2).mean()
            g = torch.autograd.grad(loss, w, create_graph=not first_order, retain_graph=True)
            w = [wi - lr * gi for wi, gi in zip(w, g)]
        if first_order:
            w = [wi.detach().requires_grad_(True) for wi in w]
            qloss = ((forward(w, xq) - yq) ** 2).mean()
            g = torch.autograd.grad(qloss, w)
        else:
            qloss = ((forward(w, xq) - yq) ** 2).mean()
            g = torch.autograd.grad(qloss, theta)
        total = total + qloss.detach()
        acc = [a + gi / len(tasks) for a, gi in zip(acc, g)]
    return total / len(tasks), acc


@pytest.mark.parametrize("steps", [1, 3])
@pytest.mark.parametrize("first_order", [False, True])
def test_meta_gradient_equals_an_explicitly_unrolled_inner_loop(steps, first_order):
    model = _mlp()
    _, _, xs, ys, xq, yq = _tasks()
    tasks = list(zip(xs, ys, xq, yq))
    ref_loss, ref_grads = _unrolled_mlp_meta_grad(model, tasks, 0.05, steps, first_order)
    params = meta.params_of(model)
    loss, grads = meta.meta_gradient(model, params, tasks, F.mse_loss, 0.05, steps, first_order=first_order)
    vloss = meta.vmap_meta_loss(model, params, xs, ys, xq, yq, F.mse_loss, 0.05, steps, first_order=first_order)
    vgrads = torch.autograd.grad(vloss, list(params.values()))
    assert torch.allclose(loss, ref_loss) and torch.allclose(vloss, ref_loss)
    for ref, g, vg in zip(ref_grads, grads.values(), vgrads):
        assert torch.allclose(g, ref, atol=1e-10), (g - ref).abs().max()
        assert torch.allclose(vg, ref, atol=1e-10), (vg - ref).abs().max()


def test_second_order_meta_gradient_of_linear_regression_has_its_closed_form():
    # f(x) = x w, support loss L_s(w) = |X_s w - y_s|^2 / K, Hessian H_s = 2 X_s^T X_s / K;
    # one step w' = w - a grad L_s(w); d L_q(w') / dw = (I - a H_s) grad L_q(w').
    g = torch.Generator().manual_seed(3)
    model = nn.Linear(4, 1, bias=False).double()
    xs, ys = torch.randn(6, 4, generator=g, dtype=torch.float64), torch.randn(6, 1, generator=g, dtype=torch.float64)
    xq, yq = torch.randn(5, 4, generator=g, dtype=torch.float64), torch.randn(5, 1, generator=g, dtype=torch.float64)
    a = 0.1
    w = model.weight.detach().T  # (4, 1)
    grad_s = 2 * xs.T @ (xs @ w - ys) / 6  # (4, 1)
    w1 = w - a * grad_s
    grad_q = 2 * xq.T @ (xq @ w1 - yq) / 5  # (4, 1)
    hessian = 2 * xs.T @ xs / 6  # (4, 4)
    second = (torch.eye(4, dtype=torch.float64) - a * hessian) @ grad_q  # (4, 1)
    _, so = meta.meta_gradient(model, meta.params_of(model), [(xs, ys, xq, yq)], F.mse_loss, a, 1)
    _, fo = meta.meta_gradient(model, meta.params_of(model), [(xs, ys, xq, yq)], F.mse_loss, a, 1, first_order=True)
    assert torch.allclose(so["weight"], second.T)
    assert torch.allclose(fo["weight"], grad_q.T)
    assert not torch.allclose(so["weight"], fo["weight"], atol=1e-3)  # the Hessian term matters here


def test_first_order_gradient_is_the_query_gradient_at_the_adapted_weights():
    model = _mlp()
    _, _, xs, ys, xq, yq = _tasks(n=1)
    params = meta.params_of(model)
    adapted = meta.adapt(model, params, xs[0], ys[0], F.mse_loss, 0.05, steps=2)
    adapted = {k: v.detach().requires_grad_(True) for k, v in adapted.items()}
    expected = torch.autograd.grad(meta.task_loss(model, adapted, xq[0], yq[0], F.mse_loss), list(adapted.values()))
    _, fo = meta.meta_gradient(model, params, [(xs[0], ys[0], xq[0], yq[0])], F.mse_loss, 0.05, 2, first_order=True)
    _, so = meta.meta_gradient(model, params, [(xs[0], ys[0], xq[0], yq[0])], F.mse_loss, 0.05, 2)
    for e, g in zip(expected, fo.values()):
        assert torch.allclose(e, g, atol=1e-12)
    assert any(not torch.allclose(a, b, atol=1e-6) for a, b in zip(fo.values(), so.values()))


def test_second_order_meta_gradient_matches_finite_differences():
    model = _mlp()
    _, _, xs, ys, xq, yq = _tasks()
    params = meta.params_of(model)
    _, grads = meta.meta_gradient(model, params, list(zip(xs, ys, xq, yq)), F.mse_loss, 0.1, 2)

    def f():
        return meta.vmap_meta_loss(model, params, xs, ys, xq, yq, F.mse_loss, 0.1, 2)

    for name, index in [("0.weight", (2, 0)), ("2.bias", (5,)), ("4.weight", (0, 3))]:
        fd = meta.finite_difference(f, params[name], index, eps=1e-6)
        assert math.isclose(fd, grads[name][index].item(), rel_tol=1e-5, abs_tol=1e-9), (name, fd)


def test_inner_step_is_one_sgd_step_and_checks_params():
    model = _mlp()
    x, y = torch.randn(5, 1, dtype=torch.float64), torch.randn(5, 1, dtype=torch.float64)
    params = meta.params_of(model)
    new = meta.inner_step(model, params, x, y, F.mse_loss, 0.3)
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    opt.zero_grad()
    F.mse_loss(model(x), y).backward()
    opt.step()
    for k, p in model.named_parameters():
        assert torch.allclose(new[k], p)
    with pytest.raises(ValueError, match="params must match"):
        meta.inner_step(model, {"0.weight": params["0.weight"]}, x, y, F.mse_loss, 0.3)
    with pytest.raises(ValueError, match="steps"):
        meta.adapt(model, params, x, y, F.mse_loss, 0.3, steps=-1)


def test_sinusoid_sampler_ranges_shapes_and_targets():
    t = meta.sample_sinusoid_tasks(500, 10, 4, torch.Generator().manual_seed(0))
    assert t.x_support.shape == (500, 10, 1) and t.y_query.shape == (500, 4, 1) and t.amplitude.shape == (500,)
    assert 0.1 <= t.amplitude.min() and t.amplitude.max() <= 5.0 and t.amplitude.max() > 4.9
    assert 0.0 <= t.phase.min() and t.phase.max() <= math.pi and t.phase.max() > 3.1
    assert -5 <= t.x_support.min() and t.x_query.max() <= 5 and t.x_support.min() < -4.9
    expected = t.amplitude[:, None, None] * torch.sin(t.x_query - t.phase[:, None, None])
    assert torch.allclose(t.y_query, expected)
    again = meta.sample_sinusoid_tasks(500, 10, 4, torch.Generator().manual_seed(0))
    assert torch.equal(again.x_support, t.x_support)
    with pytest.raises(ValueError):
        meta.sample_sinusoid_tasks(0)
    with pytest.raises(ValueError, match="amplitude_range"):
        meta.sample_sinusoid_tasks(3, amplitude_range=(5.0, 0.1))


def test_episode_sampler_classes_counts_and_disjoint_sets():
    labels = torch.arange(12).repeat_interleave(9)  # 12 classes, 9 examples each
    x = torch.arange(len(labels)).float()[:, None]
    g = torch.Generator().manual_seed(0)
    allowed = torch.tensor([1, 3, 5, 7, 9, 11])
    seen = set()
    for _ in range(30):
        ep = meta.sample_episode(x, labels, 4, 2, 5, g, classes=allowed)
        assert ep.support_x.shape == (8, 1) and ep.query_x.shape == (20, 1)
        assert ep.support_y.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
        assert ep.query_y.tolist() == sum(([c] * 5 for c in range(4)), [])
        assert len(set(ep.classes.tolist())) == 4 and set(ep.classes.tolist()) <= set(allowed.tolist())
        s_ids, q_ids = ep.support_x.flatten().long(), ep.query_x.flatten().long()
        assert not set(s_ids.tolist()) & set(q_ids.tolist())
        assert torch.equal(labels[s_ids], ep.classes.repeat_interleave(2))
        assert torch.equal(labels[q_ids], ep.classes.repeat_interleave(5))
        seen |= set(ep.classes.tolist())
    assert seen == set(allowed.tolist())


def test_episode_sampler_rejects_impossible_episodes():
    labels = torch.arange(5).repeat_interleave(4)
    with pytest.raises(ValueError, match="6 ways needs 6 classes, only 5"):
        meta.episode_indices(labels, 6, 1, 1)
    with pytest.raises(ValueError, match="fewer than k_shot \\+ n_query = 3 \\+ 2"):
        meta.episode_indices(labels, 2, 3, 2)
    with pytest.raises(ValueError, match="1-D"):
        meta.episode_indices(labels[:, None], 2, 1, 1)
    with pytest.raises(ValueError, match="n_way"):
        meta.episode_indices(labels, 0, 1, 1)


def test_rotated_digit_classes_split_and_rotations():
    x, y, train, test, names = meta.rotated_digit_classes(normalize=False)
    assert x.shape[1:] == (1, 8, 8) and len(names) == 30 and len(train) == 20 and len(test) == 10
    assert not set(train.tolist()) & set(test.tolist())
    assert {n.split("@")[0] for n in (names[c] for c in test.tolist())} == {"6", "7", "8"}
    assert "9@0" not in names and "0@180" not in names and "6@180" in names
    # class "2@90" holds the "2@0" images turned by 90 degrees
    a, b = names.index("2@0"), names.index("2@90")
    assert torch.equal(torch.rot90(x[y == a], 1, dims=(2, 3)), x[y == b])


def test_prototypes_and_logits_against_torch():
    g = torch.Generator().manual_seed(0)
    emb, labels = torch.randn(12, 5, generator=g), torch.tensor([0, 1, 2] * 4)
    protos = meta.prototypes(emb, labels, 3)
    for c in range(3):
        assert torch.allclose(protos[c], emb[labels == c].mean(0))
    q = torch.randn(7, 5, generator=g)
    logits = meta.protonet_logits(q, protos)
    assert torch.allclose(logits, -torch.cdist(q, protos) ** 2, atol=1e-5)
    with pytest.raises(ValueError, match="needs a support example"):
        meta.prototypes(emb, torch.zeros(12, dtype=torch.long), 3)
    with pytest.raises(ValueError, match=r"\(Q, D\)"):
        meta.protonet_logits(q, protos[:, :4])


@pytest.mark.slow
def test_protonet_loss_trains_an_embedding():
    x, y, train, _, _ = meta.rotated_digit_classes()
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    embed = meta.conv_embedding(8)
    opt = torch.optim.Adam(embed.parameters(), 1e-2)
    losses = []
    for _ in range(40):
        ep = meta.sample_episode(x, y, 5, 3, 5, g, train)
        loss, logits = meta.protonet_loss(embed, ep.support_x, ep.support_y, ep.query_x, ep.query_y, 5)
        assert logits.shape == (25, 5)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-10:]) / 10 < 0.6 * sum(losses[:5]) / 5


def test_conv_embedding_without_running_stats_is_a_pure_function_of_its_parameters():
    net = meta.conv_embedding(4, out=3, track_running_stats=False)
    assert not list(net.buffers())
    xs = torch.randn(2, 6, 1, 8, 8)
    ys = torch.randint(0, 3, (2, 6))
    loss = meta.vmap_meta_loss(net, meta.params_of(net), xs, ys, xs, ys, F.cross_entropy, 0.1, 1, first_order=True)
    assert loss.dim() == 0 and torch.isfinite(loss)


def test_random_shift_moves_each_image_by_at_most_max_shift():
    g = torch.Generator().manual_seed(0)
    img = torch.zeros(1, 1, 8, 8)
    img[0, 0, 3, 4] = 1.0  # one bright pixel away from the border
    batch = img.repeat(200, 1, 1, 1)
    out = meta.random_shift(batch, 1, g)
    assert out.shape == batch.shape
    where = out.flatten(1).argmax(1)  # position of the bright pixel
    rows, cols = where // 8 - 3, where % 8 - 4  # its displacement
    assert set(rows.tolist()) == {-1, 0, 1} and set(cols.tolist()) == {-1, 0, 1}
    assert torch.allclose(out.sum((1, 2, 3)), torch.ones(200))  # moved, not blurred or lost
    assert torch.equal(meta.random_shift(batch, 0), batch)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        meta.random_shift(batch[0], 1)


def test_prototype_head_init_writes_the_protonet_head_and_vmap_meta_loss_uses_it():
    torch.manual_seed(0)
    model = meta.conv_embedding(4, out=3, track_running_stats=False)
    params = dict(model.named_parameters())
    init = meta.prototype_head_init(model, 3)
    xs, ys = torch.randn(2, 6, 1, 8, 8), torch.arange(3).repeat(2).expand(2, 6)  # 2 tasks, 3-way 2-shot
    xq, yq = torch.randn(2, 9, 1, 8, 8), torch.arange(3).repeat(3).expand(2, 9)
    start = init(params, xs[0], ys[0])
    c = meta.prototypes(model[:-1](xs[0]), ys[0], 3)  # (3, 16)
    assert torch.allclose(start["9.weight"], 2 * c, atol=1e-6) and torch.allclose(start["9.bias"], -(c**2).sum(1), atol=1e-5)
    assert start["0.weight"] is params["0.weight"]
    # its head's logits are the ProtoNet logits plus one number per query row
    gap = torch.func.functional_call(model, start, (xq[0],)) - meta.protonet_logits(model[:-1](xq[0]), c)  # (9, 3)
    assert torch.allclose(gap, gap[:, :1].expand_as(gap), atol=1e-4)
    for first_order in (True,):  # with first_order=False, init raises (below)
        batched = meta.vmap_meta_loss(model, params, xs, ys, xq, yq, F.cross_entropy, 0.1, 1, first_order, init=init)
        g = torch.autograd.grad(batched, list(params.values()), allow_unused=True)
        looped = 0
        for t in range(2):  # the same loss task by task, without vmap
            # + 0: new nodes, so the inner gradient is the partial one (the head held fixed), as in grad()
            p = {k: v + 0 for k, v in init(params, xs[t], ys[t]).items()}
            inner = torch.autograd.grad(meta.task_loss(model, p, xs[t], ys[t], F.cross_entropy), list(p.values()),
                                        create_graph=not first_order, retain_graph=True)
            p = {k: v - 0.1 * (gi.detach() if first_order else gi) for (k, v), gi in zip(p.items(), inner)}
            looped = looped + meta.task_loss(model, p, xq[t], yq[t], F.cross_entropy) / 2
        g_loop = torch.autograd.grad(looped, list(params.values()), allow_unused=True)
        assert torch.allclose(batched, looped, atol=1e-5)
        for a, b_ in zip(g, g_loop):
            assert (a is None) == (b_ is None) and (a is None or torch.allclose(a, b_, atol=1e-4))
        assert g[-1] is None and g[-2] is None and g[0].abs().sum() > 0  # the learnt head is replaced; the trunk gets a gradient
    with pytest.raises(ValueError, match="first_order=True only"):
        meta.vmap_meta_loss(model, params, xs, ys, xq, yq, F.cross_entropy, 0.1, 1, first_order=False, init=init)
    with pytest.raises(ValueError, match="n_way=5"):
        meta.prototype_head_init(model, 5)
    with pytest.raises(TypeError, match="Sequential ending in nn.Linear"):
        meta.prototype_head_init(model[:-1], 3)
