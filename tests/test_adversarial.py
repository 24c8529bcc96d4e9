"""dlbook.adversarial: FGSM against its formula, PGD's ball and box, targeted steps, gradients left
untouched, adversarial batches for fit, HotFlip's first-order scores, and (where torchattacks
installs) equality with torchattacks' FGSM and PGD."""

from __future__ import annotations

import importlib.util

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import dlbook
from dlbook import adversarial as adv


def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 12), nn.Tanh(), nn.Linear(12, 3)).double().eval()


def _data(seed: int = 1, n: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 4, 4, generator=g, dtype=torch.float64), torch.randint(0, 3, (n,), generator=g)


def test_fgsm_equals_clamped_sign_step_and_moves_the_loss_the_right_way():
    model, (x, y) = _model(), _data()
    eps = 0.1
    xr = x.clone().requires_grad_(True)
    F.cross_entropy(model(xr), y).backward()
    expected = (x + eps * xr.grad.sign()).clamp(0, 1)
    got = adv.fgsm(model, x, y, eps)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
    assert not got.requires_grad
    assert F.cross_entropy(model(got), y) > F.cross_entropy(model(x), y)
    # targeted: a step *down* the target's loss
    t = (y + 1) % 3
    xt = adv.fgsm(model, x, t, eps, targeted=True)
    xr = x.clone().requires_grad_(True)
    F.cross_entropy(model(xr), t).backward()
    torch.testing.assert_close(xt, (x - eps * xr.grad.sign()).clamp(0, 1), rtol=0, atol=0)
    assert F.cross_entropy(model(xt), t) < F.cross_entropy(model(x), t)


def test_attacks_leave_parameter_gradients_and_mode_untouched():
    model, (x, y) = _model(), _data()
    model.train()
    sentinel = [torch.full_like(p, 7.0) for p in model.parameters()]
    for p, s in zip(model.parameters(), sentinel):
        p.grad = s.clone()
    adv.fgsm(model, x, y, 0.1)
    adv.pgd(model, x, y, 0.1, 0.02, 3)
    assert model.training
    for p, s in zip(model.parameters(), sentinel):
        torch.testing.assert_close(p.grad, s)


@pytest.mark.parametrize("random_start", [True, False])
def test_pgd_stays_in_ball_and_box_and_beats_fgsm_on_loss(random_start):
    model, (x, y) = _model(), _data(n=32)
    eps = 0.08
    g = torch.Generator().manual_seed(3)
    x_adv = adv.pgd(model, x, y, eps, step_size=0.02, steps=20, random_start=random_start, generator=g)
    assert (x_adv - x).abs().max() <= eps + 1e-12
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    # many steps of a first-order method find at least as high a loss as one signed step here
    assert F.cross_entropy(model(x_adv), y) >= F.cross_entropy(model(adv.fgsm(model, x, y, eps)), y) - 1e-9


def test_pgd_one_step_without_random_start_is_fgsm():
    model, (x, y) = _model(), _data()
    torch.testing.assert_close(adv.pgd(model, x, y, 0.1, 0.1, 1, random_start=False), adv.fgsm(model, x, y, 0.1))


def test_pgd_random_start_is_reproducible_by_generator():
    model, (x, y) = _model(), _data()
    a = adv.pgd(model, x, y, 0.1, 0.03, 2, generator=torch.Generator().manual_seed(5))
    b = adv.pgd(model, x, y, 0.1, 0.03, 2, generator=torch.Generator().manual_seed(5))
    c = adv.pgd(model, x, y, 0.1, 0.03, 2, generator=torch.Generator().manual_seed(6))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, c)


def test_project_linf_projects_then_clips():
    x = torch.tensor([[0.0, 0.5, 0.95]])
    x_adv = torch.tensor([[-0.4, 0.9, 1.3]])
    torch.testing.assert_close(adv.project_linf(x_adv, x, 0.1), torch.tensor([[0.0, 0.6, 1.0]]))
    torch.testing.assert_close(adv.project_linf(x_adv, x, 0.1, clip=None), torch.tensor([[-0.1, 0.6, 1.05]]))


def test_margin_loss_is_the_logit_margin():
    logits = torch.tensor([[2.0, 5.0, 1.0], [0.0, -1.0, 3.0]])
    y = torch.tensor([1, 0])
    # row 0: max other 2 - 5 = -3; row 1: 3 - 0 = 3
    torch.testing.assert_close(adv.margin_loss(logits, y), torch.tensor(0.0))
    torch.testing.assert_close(adv.margin_loss(logits, y, kappa=1.0), torch.tensor(-1.0))
    with pytest.raises(ValueError, match=r"logits \(B, C\)"):
        adv.margin_loss(logits[0], y)


def test_robust_accuracy_counts_and_restores_mode():
    model, (x, y) = _model(), _data(n=40)
    model.train()
    clean = adv.robust_accuracy(model, [(x[:20], y[:20]), (x[20:], y[20:])])
    assert clean == pytest.approx(float((model(x).argmax(1) == y).double().mean()))
    attacked = adv.robust_accuracy(model, [(x, y)], lambda m, a, b: adv.pgd(m, a, b, 0.3, 0.05, 10))
    assert attacked <= clean and model.training


def test_adversarial_batches_attack_in_eval_mode_and_train_with_fit():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3), nn.Dropout(0.5)).double()
    x, y = _data(n=16)
    modes = []

    def attack(m, a, b):
        modes.append(m.training)
        return adv.fgsm(m, a, b, 0.1)

    batches = adv.AdversarialBatches([(x, y)], model, attack, mix=0.5)
    model.train()
    (xb, yb), = list(batches)
    assert modes == [False] and model.training
    torch.testing.assert_close(xb[8:], x[8:])                      # the clean half
    assert not torch.equal(xb[:8], x[:8]) and (xb - x).abs().max() <= 0.1 + 1e-12
    h = dlbook.fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), batches, epochs=2,
                   progress=False)
    assert h.epochs == 2 and modes == [False] * 3
    with pytest.raises(ValueError, match="mix"):
        adv.AdversarialBatches([(x, y)], model, attack, mix=1.5)


def test_bad_inputs_are_named():
    model, (x, y) = _model(), _data()
    with pytest.raises(ValueError, match="batch size"):
        adv.fgsm(model, x, y[:3], 0.1)
    with pytest.raises(ValueError, match="eps"):
        adv.fgsm(model, x, y, -0.1)
    with pytest.raises(ValueError, match="steps"):
        adv.pgd(model, x, y, 0.1, 0.01, 0)
    with pytest.raises(TypeError, match="floating-point"):
        adv.fgsm(model, (x * 10).long(), y, 0.1)


def test_hotflip_scores_are_the_first_order_change_of_the_loss():
    torch.manual_seed(0)
    V, E, T = 7, 5, 4
    emb = nn.Embedding(V, E).double()
    head = nn.Linear(E, 2).double()
    ids = torch.tensor([[1, 2, 3, 4]])
    y = torch.tensor([1])

    def loss_of(e):
        return F.cross_entropy(head(torch.tanh(e).mean(1)), y)

    e = emb(ids).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(loss_of(e), e)
    scores = adv.hotflip_scores(g, emb.weight.detach(), ids)
    assert scores.shape == (1, T, V)
    torch.testing.assert_close(scores[0, torch.arange(T), ids[0]], torch.zeros(T, dtype=torch.float64))
    # against the exact change of a small substitution: scale the embedding step so first order rules
    t, w, h = 2, 5, 1e-4
    stepped = e.detach().clone()
    stepped[0, t] += h * (emb.weight[w] - emb.weight[ids[0, t]]).detach()
    exact = (loss_of(stepped) - loss_of(e.detach())) / h
    torch.testing.assert_close(scores[0, t, w], exact.detach(), rtol=1e-3, atol=1e-6)


_HAS_TORCHATTACKS = importlib.util.find_spec("torchattacks") is not None
_SKIP = ("torchattacks is not installed: `pip install --no-deps torchattacks` (the `attacks` extra; a plain install "
         "pulls torchvision, which does not import beside the course's CPU torch wheel)")


@pytest.mark.skipif(not _HAS_TORCHATTACKS, reason=_SKIP)
def test_equal_to_torchattacks_fgsm_and_pgd():
    import torchattacks

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(64, 3)).eval()
    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(16, 1, 4, 4, generator=g), torch.randint(0, 3, (16,), generator=g)
    torch.testing.assert_close(adv.fgsm(model, x, y, 0.1), torchattacks.FGSM(model, eps=0.1)(x, y), rtol=0, atol=1e-7)
    ours = adv.pgd(model, x, y, 0.1, 0.02, 7, random_start=False)
    theirs = torchattacks.PGD(model, eps=0.1, alpha=0.02, steps=7, random_start=False)(x, y)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6)
    torch.manual_seed(123)                                         # the same random start from the global RNG
    ours = adv.pgd(model, x, y, 0.1, 0.02, 7, random_start=True)
    torch.manual_seed(123)
    theirs = torchattacks.PGD(model, eps=0.1, alpha=0.02, steps=7, random_start=True)(x, y)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6)


def test_for_a_box_point_the_order_of_ball_and_box_does_not_matter():
    # coordinate by coordinate both orders clamp x_adv - x to [max(-eps, -x), min(eps, 1 - x)]
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1000, generator=g)
    z = x + (torch.rand(1000, generator=g) - 0.5) * 1.5
    eps = 0.2
    project_then_clip = adv.project_linf(z, x, eps)
    clip_then_project = x + (z.clamp(0, 1) - x).clamp(-eps, eps)
    torch.testing.assert_close(project_then_clip, clip_then_project, rtol=0, atol=0)
    # the real mistake: projecting around the current iterate instead of the clean input
    wrong = z.clamp(0, 1)
    assert (wrong - x).abs().max() > eps
