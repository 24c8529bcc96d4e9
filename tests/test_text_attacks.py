"""dlbook.text_attacks: the embedding gradient against autograd through the embeddings, and the
greedy HotFlip against brute force on a model whose loss is linear in the embeddings (where the
first-order estimate is exact), plus its bookkeeping and errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbook import text_attacks as ta


class BagOfEmbeddings(nn.Module):
    """logits = W mean_t E[ids_t] + b: linear in the looked-up embeddings."""

    def __init__(self, V=12, E=5, C=3, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.embedding = nn.Embedding(V, E)
        self.out = nn.Linear(E, C)

    def forward(self, ids):
        return self.out(self.embedding(ids).mean(1))                 # (B, T, E) -> (B, E) -> (B, C)


def test_embedding_gradient_equals_autograd_and_leaves_parameter_grads_alone():
    model = BagOfEmbeddings()
    ids = torch.randint(0, 12, (4, 6), generator=torch.Generator().manual_seed(1))
    y = torch.tensor([0, 1, 2, 0])
    e = model.embedding(ids).detach().requires_grad_(True)
    F.cross_entropy(model.out(e.mean(1)), y, reduction="sum").backward()
    model.zero_grad(set_to_none=True)                               # the reference's backward filled them
    grad = ta.embedding_gradient(model, model.embedding, ids, y)
    torch.testing.assert_close(grad, e.grad)
    assert all(p.grad is None for p in model.parameters())
    with pytest.raises(TypeError, match="nn.Embedding"):
        ta.embedding_gradient(model, model.out, ids, y)
    with pytest.raises(ValueError, match=r"labels \(B,\)"):
        ta.embedding_gradient(model, model.embedding, ids, y[:2])


def _margin_loss(logits, y):
    return -logits.gather(1, y[:, None]).sum()                      # linear in the logits


def test_first_flip_is_the_brute_force_best_when_the_loss_is_linear(monkeypatch):
    model = BagOfEmbeddings(seed=3)
    V = 12
    ids = torch.randint(0, V, (3, 5), generator=torch.Generator().manual_seed(2))
    y = torch.tensor([1, 0, 2])
    words = torch.ones(V, dtype=torch.bool)
    words[:2] = False                                                # e.g. special tokens
    # with a loss linear in the embeddings, HotFlip's first-order score is the exact loss change
    real = ta.embedding_gradient
    monkeypatch.setattr(ta, "embedding_gradient", lambda m, emb, i, l: real(m, emb, i, l, loss_fn=_margin_loss))
    out = ta.hotflip_attack(model, model.embedding, ids, y, max_flips=1, words=words)
    assert (out.flips == 1).any()                                    # some row was attacked
    with torch.no_grad():
        for b in range(3):
            base = _margin_loss(model(ids[b:b + 1]), y[b:b + 1])
            if out.flips[b] == 0:                                    # already misclassified: untouched
                assert torch.equal(out.ids[b], ids[b])
                continue
            best, arg = -float("inf"), None
            for t in range(5):
                for w in range(2, V):
                    if w == ids[b, t]:
                        continue
                    x = ids[b:b + 1].clone()
                    x[0, t] = w
                    gain = float(_margin_loss(model(x), y[b:b + 1]) - base)
                    if gain > best:
                        best, arg = gain, (t, w)
            changed = (out.ids[b] != ids[b]).nonzero().squeeze(1)
            assert changed.tolist() == [arg[0]] and int(out.ids[b, arg[0]]) == arg[1]


def test_hotflip_attack_bookkeeping():
    model = BagOfEmbeddings(V=20, seed=5).eval()
    g = torch.Generator().manual_seed(4)
    ids = torch.randint(2, 20, (16, 6), generator=g)
    with torch.no_grad():
        y = model(ids).argmax(1)                                     # all correct at the start
    positions = torch.tensor([False, True, True, True, True, False])  # keep the first and last token
    words = torch.ones(20, dtype=torch.bool)
    words[:2] = False
    out = ta.hotflip_attack(model, model.embedding, ids, y, max_flips=3, positions=positions, words=words)
    changed = out.ids != ids
    assert torch.equal(changed.sum(1), out.flips)                    # one new position per flip
    assert not changed[:, [0, 5]].any()
    assert bool((out.ids[changed] >= 2).all())
    assert bool((out.flips <= 3).all()) and bool((out.flips >= 1).all())
    with torch.no_grad():
        pred = model(out.ids).argmax(1)
    assert torch.equal(out.success, pred != y)
    assert bool((out.flips[~out.success] == 3).all())                # unfooled rows spent the budget
    rates = [out.success_rate(k) for k in (1, 2, 3)]
    assert rates == sorted(rates) and rates[-1] == float(out.success.float().mean())
    assert out.success.any()                                         # the attack does something here
    with pytest.raises(ValueError, match="max_flips"):
        ta.hotflip_attack(model, model.embedding, ids, y, max_flips=0)
    with pytest.raises(ValueError, match="positions"):
        ta.hotflip_attack(model, model.embedding, ids, y, 1, positions=torch.ones(3, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="words"):
        ta.hotflip_attack(model, model.embedding, ids, y, 1, words=words[:5])
