import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import dlbook
from dlbook.train import History


def _linear_task(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, generator=g)
    y = (X[:, 0] - X[:, 1] > 0).long()
    return X, y


def test_accuracy_multiclass_and_binary():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, -1.0]])
    assert dlbook.accuracy(logits, torch.tensor([0, 1, 1])).item() == pytest.approx(2 / 3)
    scores = torch.tensor([0.5, -0.2, 1.0, -3.0])
    assert dlbook.accuracy(scores, torch.tensor([1, 0, 0, 0])).item() == pytest.approx(0.75)
    assert dlbook.accuracy(scores[:, None], torch.tensor([[1], [0], [1], [0]])).item() == 1.0
    with pytest.raises(ValueError, match="targets of shape"):
        dlbook.accuracy(logits, torch.tensor([0, 1]))


def test_fit_learns_and_records_history():
    dlbook.set_seed(0)
    X, y = _linear_task()
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    h = dlbook.fit(model, nn.CrossEntropyLoss(), opt, loader, loader, epochs=5,
                   metrics={"acc": dlbook.accuracy}, progress=False)
    assert h.epochs == 5
    assert set(h.keys()) == {"train_loss", "train_acc", "val_loss", "val_acc"}
    assert h["train_loss"][-1] < h["train_loss"][0]
    assert h.last("val_acc") > 0.95
    assert h.best("val_loss")[1] == min(h["val_loss"])
    assert len(h.epoch_seconds) == 5


def test_fit_matches_a_hand_written_loop():
    X, y = _linear_task(n=96)

    def run(use_fit):
        dlbook.set_seed(3)
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(1))
        loss_fn = nn.CrossEntropyLoss()
        if use_fit:
            h = dlbook.fit(model, loss_fn, opt, loader, epochs=3, progress=False)
            losses = h["train_loss"]
        else:
            losses = []
            for _ in range(3):
                total = 0.0
                for xb, yb in loader:
                    opt.zero_grad()
                    loss = loss_fn(model(xb), yb)
                    loss.backward()
                    opt.step()
                    total += loss.item() * len(yb)
                losses.append(total / len(X))
        return losses, [p.detach().clone() for p in model.parameters()]

    (l1, p1), (l2, p2) = run(True), run(False)
    assert l1 == pytest.approx(l2, rel=1e-5)
    assert all(torch.allclose(a, b) for a, b in zip(p1, p2))


def test_evaluate_keeps_mode_and_needs_no_grad():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    model.train()
    X, y = _linear_task(n=10)
    out = dlbook.evaluate(model, nn.CrossEntropyLoss(), [(X, y)], {"acc": dlbook.accuracy})
    assert set(out) == {"loss", "acc"} and model.training
    assert all(p.grad is None for p in model.parameters())


def test_callback_can_stop_early():
    X, y = _linear_task(n=32)
    model = nn.Linear(2, 2)
    h = dlbook.fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), [(X, y)],
                   epochs=10, callback=lambda epoch, hist: epoch == 2, progress=False)
    assert h.epochs == 3


def _fit(loader):
    model = nn.Linear(2, 2)
    return dlbook.fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), loader,
                      epochs=1, progress=False)


def test_fit_rejects_a_loader_of_bare_tensors():
    with pytest.raises(TypeError, match=r"bare tensor of shape \(4, 2\).*expected a pair"):
        _fit([torch.randn(4, 2)])


def test_fit_rejects_mismatched_batch_sizes():
    with pytest.raises(ValueError, match=r"inputs \(4, 2\) and targets \(3,\).*same batch size"):
        _fit([(torch.randn(4, 2), torch.zeros(3, dtype=torch.long))])


def test_fit_rejects_wrong_tuple_and_types():
    with pytest.raises(TypeError, match="length 3"):
        _fit([(torch.randn(4, 2), torch.zeros(4), torch.zeros(4))])
    with pytest.raises(TypeError, match=r"\(list, Tensor\)"):
        _fit([([1, 2], torch.zeros(2))])
    with pytest.raises(ValueError, match="no batches"):
        _fit([])


def test_fit_rejects_bad_arguments():
    model = nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="nn.Module"):
        dlbook.fit(lambda x: x, nn.MSELoss(), opt, [], epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        dlbook.fit(model, nn.MSELoss(), opt, [], epochs=-1)
    with pytest.raises(ValueError, match="scalar"):
        dlbook.fit(model, nn.MSELoss(reduction="none"), opt, [(torch.randn(3, 2), torch.randn(3, 2))],
                   epochs=1, progress=False)


def test_history_accessors():
    h = History()
    h.append({"train_loss": 2.0, "val_acc": 0.5})
    h.append({"train_loss": 1.0, "val_acc": 0.7})
    assert h["train_loss"] == [2.0, 1.0] and "val_acc" in h
    assert h.best("val_acc", "max") == (1, 0.7)
    with pytest.raises(KeyError, match="no record 'loss'"):
        h["loss"]
    with pytest.raises(ValueError, match="mode"):
        h.best("val_acc", "middle")


def test_predict_batches_and_restores_mode():
    model = nn.Linear(3, 2)
    model.train()
    x = torch.randn(10, 3)
    out = dlbook.predict(model, x, batch_size=4)
    assert torch.allclose(out, model(x).detach()) and model.training


def test_progress_bar_runs(capsys):
    X, y = _linear_task(n=16)
    model = nn.Linear(2, 2)
    dlbook.fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1), [(X, y)], epochs=2,
               progress=True)
    assert "training" in capsys.readouterr().err


def test_fit_passes_tuple_inputs_as_separate_arguments():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 2)

        def forward(self, a, b):
            return self.lin(a) * b[:, None]

    torch.manual_seed(0)
    a, b, y = torch.randn(16, 3), torch.rand(16) + 0.5, torch.randint(0, 2, (16,))
    model = TwoInputs()
    loader = [((a[:8], b[:8]), y[:8]), ((a[8:], b[8:]), y[8:])]
    hist = dlbook.fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), 0.5), loader, val_loader=loader,
               epochs=5, progress=False)
    expected = nn.functional.cross_entropy(model(a, b), y).item()
    assert hist.last("val_loss") == pytest.approx(expected, rel=1e-5)
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    with pytest.raises(ValueError, match="same batch size"):
        dlbook.fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), 0.1), [((a, b[:4]), y)], progress=False)
    with pytest.raises(TypeError, match=r"of \(Tensor, list\)"):
        dlbook.fit(model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), 0.1), [((a, [1]), y)], progress=False)
