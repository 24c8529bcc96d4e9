"""Seconds per training epoch of chapter 3's six classics at digit size (`make bench`).

The notebook `chapters/03_cnn/05_vgg_googlenet` trains the models of `dlbook.cnn.DIGIT_CLASSICS`
(LeNet-5, AlexNet, VGG, GoogLeNet, ResNet-8, DenseNet) on the digits and tabulates parameters,
multiply-adds and accuracy; timings change with the machine, so they are measured here instead of
being stored in the notebook. One epoch is `dlbook.fit` over the 1,079 training digits (batch 32,
Adam), with no validation pass, exactly as in the notebook. The figures are the median of a few
epochs after one warm-up epoch, in wall-clock seconds and as a ratio to LeNet-5's epoch.
"""

from __future__ import annotations

import statistics
import sys
import time

import torch
from torch import nn

import dlbook
from dlbook import cnn


def epoch_seconds(build, size: int, repeats: int) -> float:
    dlbook.set_seed(0)
    loaders = dlbook.data.digits_loaders(batch_size=32, size=size)
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn, metrics = nn.CrossEntropyLoss(), {"acc": dlbook.accuracy}
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        dlbook.fit(model, loss_fn, opt, loaders.train, epochs=1, metrics=metrics)  # no validation pass, as the notebook
        if i:  # the first epoch warms up the allocator and the kernels
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeats: int = 3) -> int:
    torch.set_num_threads(1)  # as the notebook
    seconds = {name: epoch_seconds(m.build, m.image_size, repeats) for name, m in cnn.DIGIT_CLASSICS.items()}
    base = seconds["LeNet-5"]
    print(f"one epoch on the digits (median of {repeats}, after a warm-up), one thread")
    print(f"{'model':10s} {'input':>6s} {'s/epoch':>8s} {'/ LeNet-5':>10s}")
    for name, s in seconds.items():
        side = cnn.DIGIT_CLASSICS[name].image_size
        print(f"{name:10s} {side:>3d}x{side:<2d} {s:8.3f} {s / base:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
