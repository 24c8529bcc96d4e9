"""Chapter 12, notebook 1: the four collectives, all-reduce time against message size, and a
hand-written data-parallel step checked against one process on the full batch.

    torchrun --standalone --nproc_per_node=2 collectives.py [--sizes 256,4096,...] [--steps 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from dlbook_worker import Context, run, seed_rank, synchronize


def collectives(ctx: Context) -> dict:
    """Each collective on a small tensor that tells the ranks apart: rank r holds [1, 2, 3, 4] · (r + 1)."""
    r, n, dev = ctx.rank, ctx.world_size, ctx.device
    mine = torch.arange(1.0, 5.0, device=dev) * (r + 1)  # (4,)
    out = {"input": mine.tolist()}

    x = mine.clone()
    dist.broadcast(x, src=0)  # every rank gets rank 0's tensor
    out["broadcast"] = x.tolist()

    x = mine.clone()
    dist.all_reduce(x, op=dist.ReduceOp.SUM)  # every rank gets the sum over ranks
    out["all_reduce"] = x.tolist()

    gathered = [torch.empty_like(mine) for _ in range(n)]
    dist.all_gather(gathered, mine)  # every rank gets every rank's tensor
    out["all_gather"] = [g.tolist() for g in gathered]

    part = torch.empty(4 // n, device=dev)
    dist.reduce_scatter(part, list(mine.chunk(n)))  # rank r gets the sum of everyone's chunk r
    out["reduce_scatter"] = part.tolist()
    return out


def time_all_reduce(ctx: Context, sizes: list[int], repeats: int = 7) -> dict:
    """Median seconds of an all-reduce of ``size`` float32 numbers, for each size."""
    medians = []
    for size in sizes:
        buf = torch.ones(size, device=ctx.device)
        for _ in range(2):  # warm-up: allocations and connection set-up out of the timing
            dist.all_reduce(buf)
        times = []
        for _ in range(repeats):
            dist.barrier()
            synchronize(ctx.device)
            start = time.perf_counter()
            dist.all_reduce(buf)
            synchronize(ctx.device)
            times.append(time.perf_counter() - start)
        medians.append(statistics.median(times))
    return {"numel": sizes, "nbytes": [4 * s for s in sizes], "seconds": medians}


def make_problem(seed: int = 0, n: int = 64, d: int = 10, classes: int = 3):
    """The same data and initial model on every rank (same seed), in float64."""
    seed_rank(seed, same_on_every_rank=True)
    x = torch.randn(n, d, dtype=torch.float64)
    y = torch.randint(0, classes, (n,))
    model = nn.Sequential(nn.Linear(d, 32), nn.Tanh(), nn.Linear(32, classes)).double()
    return x, y, model


def data_parallel_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float, world: int) -> None:
    """One hand-written data-parallel SGD step on this rank's shard (x, y).

    Each rank's loss is the mean over its own b examples; summing the gradients over the N ranks
    and dividing by N gives the gradient of the mean over all N·b examples.
    """
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    for p in model.parameters():
        dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
        p.grad /= world
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad


def single_process_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float) -> None:
    """The reference: one SGD step of one process on the full batch."""
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad


def manual_data_parallel(ctx: Context, steps: int, lr: float = 0.5) -> dict:
    x, y, model = make_problem()
    _, _, reference = make_problem()
    _, _, no_divide = make_problem()  # the classic slip: summing the gradients without dividing by N
    _, _, bigger_lr = make_problem()  # ...which, for plain SGD, is one process with N times the learning rate
    x, y, model, reference, no_divide = x.to(ctx.device), y.to(ctx.device), model.to(ctx.device), \
        reference.to(ctx.device), no_divide.to(ctx.device)
    bigger_lr = bigger_lr.to(ctx.device)
    shard = slice(ctx.rank, None, ctx.world_size)  # rank r takes examples r, r+N, r+2N, ...
    for _ in range(steps):
        data_parallel_step(model, x[shard], y[shard], lr, ctx.world_size)
        data_parallel_step(no_divide, x[shard], y[shard], lr, 1)
        single_process_step(reference, x, y, lr)
        single_process_step(bigger_lr, x, y, lr * ctx.world_size)

    def max_diff(a: nn.Module, b: nn.Module) -> float:
        return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))

    return {"steps": steps, "examples_per_rank": int(x[shard].shape[0]), "global_batch": int(x.shape[0]),
            "max_diff": max_diff(model, reference), "max_diff_no_divide": max_diff(no_divide, reference),
            "max_diff_no_divide_vs_n_times_lr": max_diff(no_divide, bigger_lr),
            "moved": max_diff(reference, make_problem()[2].to(ctx.device))}


def main(ctx: Context) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default=",".join(str(4**k) for k in range(3, 12)))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    return {"rank": ctx.rank, "world_size": ctx.world_size, "backend": ctx.backend,
            "collectives": collectives(ctx),
            "timing": time_all_reduce(ctx, sizes, args.repeats),
            "manual_dp": manual_data_parallel(ctx, args.steps)}


if __name__ == "__main__":
    run(main)
