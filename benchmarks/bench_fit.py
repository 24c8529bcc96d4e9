"""Overhead of `dlbook.fit` against a hand-written PyTorch loop doing the same work.

Both train the same MLP on the same digits batches from the same seed, record the training
loss and accuracy per epoch and evaluate on the validation split. They alternate within one
process; the figure reported is the ratio of their median times (target: <= 1.05).
"""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn

import dlbook

EPOCHS, REPEATS, TARGET = 6, 21, 1.05


def make(seed: int = 0):
    dlbook.set_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    return model, torch.optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss()


def hand_loop(loaders) -> float:
    model, opt, loss_fn = make()
    start = time.perf_counter()
    for _ in range(EPOCHS):
        model.train()
        total, correct, n = 0.0, 0, 0
        for x, y in loaders.train:
            opt.zero_grad(set_to_none=True)
            out = model(x)
            loss = loss_fn(out, y)
            loss.backward()
            opt.step()
            total += loss.item() * len(y)
            correct += (out.argmax(1) == y).sum().item()
            n += len(y)
        model.eval()
        with torch.no_grad():
            vt, vc, vn = 0.0, 0, 0
            for x, y in loaders.val:
                out = model(x)
                vt += loss_fn(out, y).item() * len(y)
                vc += (out.argmax(1) == y).sum().item()
                vn += len(y)
    return time.perf_counter() - start


def with_fit(loaders) -> float:
    model, opt, loss_fn = make()
    start = time.perf_counter()
    dlbook.fit(model, loss_fn, opt, loaders.train, loaders.val, epochs=EPOCHS,
               metrics={"acc": dlbook.accuracy}, progress=False)
    return time.perf_counter() - start


def main() -> None:
    torch.set_num_threads(1)  # steadier timings; both sides get the same
    loaders = dlbook.data.digits_loaders(batch_size=32, flatten=True)
    hand_loop(loaders), with_fit(loaders)  # warm-up
    hand, fit = [], []
    for i in range(REPEATS):
        order = (hand_loop, with_fit) if i % 2 == 0 else (with_fit, hand_loop)
        for fn in order:
            (hand if fn is hand_loop else fit).append(fn(loaders))
    mh, mf = statistics.median(hand), statistics.median(fit)
    print(f"hand-written loop: median {mh * 1000:.1f} ms over {REPEATS} runs of {EPOCHS} epochs")
    print(f"dlbook.fit:        median {mf * 1000:.1f} ms")
    verdict = "meets" if mf / mh <= TARGET else "MISSES"
    print(f"fit overhead ratio (fit / hand): {mf / mh:.3f}  ({verdict} the target <= {TARGET})")


if __name__ == "__main__":
    main()
