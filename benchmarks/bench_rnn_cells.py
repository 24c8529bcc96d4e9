"""GRU vs LSTM speed on this machine (chapter 4's fact check on "the GRU trains faster").

One training step (forward and backward over a sequence) of PyTorch's fused `nn.GRU` and `nn.LSTM`,
and of the course's from-scratch `dlbook.rnn` cells unrolled in Python, at the same input and
hidden sizes. The figure is the ratio of median times, GRU / LSTM, measured side by side
(alternating) in this one run; the parameter ratio (3/4) is printed beside it.
"""

from __future__ import annotations

import statistics
import sys
import time

import torch
import torch.nn as nn

from dlbook import rnn


def unrolled(cell: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Run a from-scratch cell over x (B, T, C) and return the last hidden state (B, H)."""
    state = None
    for t in range(x.shape[1]):
        state = cell(x[:, t], state)
    return state[0] if isinstance(state, tuple) else state


def step_seconds(fn, x: torch.Tensor, params) -> float:
    start = time.perf_counter()
    out = fn(x)
    out.square().mean().backward()
    for p in params:
        p.grad = None
    return time.perf_counter() - start


def main(repeats: int = 21, batch: int = 32, steps: int = 50, size: int = 64, hidden: int = 128) -> int:
    torch.manual_seed(0)
    x = torch.randn(batch, steps, size)
    fused = {"GRU": nn.GRU(size, hidden, batch_first=True), "LSTM": nn.LSTM(size, hidden, batch_first=True)}
    scratch = {"GRU": rnn.GRUCell(size, hidden), "LSTM": rnn.LSTMCell(size, hidden)}
    runs = {
        "nn.GRU / nn.LSTM (fused)": {k: (lambda m: (lambda x: m(x)[0][:, -1]))(m) for k, m in fused.items()},
        "dlbook.rnn cells (unrolled)": {k: (lambda c: (lambda x: unrolled(c, x)))(c) for k, c in scratch.items()},
    }
    models = {"nn.GRU / nn.LSTM (fused)": fused, "dlbook.rnn cells (unrolled)": scratch}
    n_params = {k: sum(p.numel() for p in m.parameters()) for k, m in fused.items()}
    print(f"parameters: GRU {n_params['GRU']:,}, LSTM {n_params['LSTM']:,} (ratio {n_params['GRU'] / n_params['LSTM']:.2f})")
    print(f"one training step on a ({batch}, {steps}, {size}) batch, hidden size {hidden}; medians of {repeats} alternating runs")
    for name, fns in runs.items():
        times = {"GRU": [], "LSTM": []}
        for _ in range(3):  # warm-up
            for k in times:
                step_seconds(fns[k], x, list(models[name][k].parameters()))
        for _ in range(repeats):
            for k in times:
                times[k].append(step_seconds(fns[k], x, list(models[name][k].parameters())))
        gru, lstm = statistics.median(times["GRU"]), statistics.median(times["LSTM"])
        print(f"{name:30s} GRU {gru * 1e3:7.2f} ms   LSTM {lstm * 1e3:7.2f} ms   GRU/LSTM {gru / lstm:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
