"""Which compressed model is faster than its base on this CPU? (chapter 7, notebook 04)

The chapter's 64-256-256-10 digit MLP and its compressed forms, built with `dlbook.distill` from
the same (random: speed does not depend on the values) weights: weight-only int8 (`QuantLinear`,
dequantises at every call), low rank r = 32 for the middle layer (`low_rank_linear`), and
structured pruning to 128 or 64 units per hidden layer (`prune_hidden_units`, a smaller dense MLP). One
forward pass in inference mode at batch 1 (the latency of one request) and at a large batch (the
throughput of many), one thread. The figures are ratios of median times against the base model,
measured side by side (alternating models) in this one run; the multiply-adds per image
(`linear_macs`) are printed beside them.
"""

from __future__ import annotations

import statistics
import sys
import time

import torch
from torch import nn

from dlbook import distill


def forward_seconds(model: nn.Module, x: torch.Tensor) -> float:
    start = time.perf_counter()
    model(x)
    return time.perf_counter() - start


@torch.no_grad()
def main(repeats: int = 51, batches: tuple[int, ...] = (1, 1024)) -> int:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    base = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)).eval()
    low_rank = nn.Sequential(base[0], base[1], distill.low_rank_linear(base[2], 32), base[3], base[4]).eval()
    models = {
        "float32 base": base,
        "int8 weights (QuantLinear)": nn.Sequential(*[distill.QuantLinear(m) if isinstance(m, nn.Linear) else m for m in base]).eval(),
        "low rank r = 32, middle layer": low_rank,
        "128 units per hidden layer": distill.prune_hidden_units(base, 128).eval(),
        "64 units per hidden layer": distill.prune_hidden_units(base, 64).eval(),
    }
    macs = {name: distill.linear_macs(m) for name, m in models.items()}
    print(f"one forward pass, one thread; medians of {repeats} alternating runs; ratio = time / base time")
    for batch in batches:
        x = torch.randn(batch, 64)
        times = {name: [] for name in models}
        for _ in range(5):  # warm-up
            for name, m in models.items():
                forward_seconds(m, x)
        for _ in range(repeats):
            for name, m in models.items():
                times[name].append(forward_seconds(m, x))
        base_t = statistics.median(times["float32 base"])
        print(f"\nbatch {batch}:")
        for name in models:
            t = statistics.median(times[name])
            print(f"  {name:30s} {macs[name]:>7,} MACs/image  {t * 1e3:8.3f} ms  ratio {t / base_t:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
