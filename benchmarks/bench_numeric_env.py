"""Speed cost of the pinned numeric environment (README, "Reproducible outputs").

The same small training workloads (a LeNet-5 and a 20-layer CIFAR-style ResNet on the digits, a
two-layer MLP) run in fresh processes, alternating between the pinned environment and PyTorch's
defaults with one thread (the notebooks used one thread before the environment was pinned). The
figure is the ratio of the median times, pinned / default, measured side by side in this one run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

WORKLOAD = r"""
import json, time, torch, torch.nn as nn, dlbook
from dlbook import cnn
torch.set_num_threads(1)
out = {}
for name, make, size, epochs in [
    ("lenet5", lambda: cnn.lenet5("relu", "max"), 32, 2),
    ("resnet20", lambda: cnn.small_resnet(20, shortcut="pad", width=8), 8, 2),
    ("mlp", lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10)), 8, 20),
]:
    dlbook.set_seed(0)
    loaders = dlbook.data.digits_loaders(batch_size=32, size=size)
    model = make()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    start = time.perf_counter()
    h = dlbook.fit(model, nn.CrossEntropyLoss(), opt, loaders.train, epochs=epochs, progress=False)
    out[name] = (time.perf_counter() - start, h.last("train_loss"))
print(json.dumps(out))
"""


def run(pinned: bool) -> dict[str, list[float]]:
    from dlbook.runtime import REPRODUCIBLE_ENV

    env = {k: v for k, v in os.environ.items() if k not in REPRODUCIBLE_ENV}
    env["OMP_NUM_THREADS"] = "1"
    if pinned:
        env.update(REPRODUCIBLE_ENV)
    done = subprocess.run([sys.executable, "-c", WORKLOAD], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(repeats: int = 5) -> int:
    times: dict[tuple[str, bool], list[float]] = {}
    losses: dict[tuple[str, bool], set[float]] = {}
    for _ in range(repeats):
        for pinned in (False, True):
            for name, (seconds, loss) in run(pinned).items():
                times.setdefault((name, pinned), []).append(seconds)
                losses.setdefault((name, pinned), set()).add(loss)
    print(f"{'workload':10s} {'default s':>10s} {'pinned s':>10s} {'pinned/default':>15s}  (medians of {repeats} alternating runs)")
    for name in sorted({n for n, _ in times}):
        d, p = statistics.median(times[name, False]), statistics.median(times[name, True])
        print(f"{name:10s} {d:10.2f} {p:10.2f} {p / d:15.2f}")
    for (name, pinned), values in sorted(losses.items()):
        if len(values) != 1:
            print(f"NOTE: {name} ({'pinned' if pinned else 'default'}) gave {len(values)} different final losses over the repeats")
    return 0


if __name__ == "__main__":
    sys.exit(main())
