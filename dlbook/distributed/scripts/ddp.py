"""Chapter 12, notebook 2: DistributedDataParallel checked against one process, its gradient
buckets, gradient accumulation with no_sync, four classic traps, and measured throughput.

    torchrun --standalone --nproc_per_node=2 ddp.py [--throughput-steps 30]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from dlbook_worker import Context, run, seed_rank, synchronize


class Indexed(Dataset):
    """A dataset that also returns each example's index, so the ranks can report what they saw."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor):
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int):
        return self.x[i], self.y[i], i


def make_data(n: int = 96, d: int = 8, classes: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)  # same data on every rank, whatever the global seed
    return torch.randn(n, d, generator=g, dtype=torch.float64), torch.randint(0, classes, (n,), generator=g)


def make_model(norm: str = "none", seed: int = 1, d: int = 8, classes: int = 3) -> nn.Module:
    seed_rank(seed, same_on_every_rank=True)
    layer = {"none": nn.Identity(), "batch": nn.BatchNorm1d(16), "layer": nn.LayerNorm(16),
             "syncbatch": nn.SyncBatchNorm(16)}[norm]
    return nn.Sequential(nn.Linear(d, 16), layer, nn.Tanh(), nn.Linear(16, classes)).double()


def max_diff(a: nn.Module, b: nn.Module) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))


def train_ddp(ctx: Context, norm: str = "none", epochs: int = 2, batch: int = 12, lr: float = 0.3):
    """DDP + DistributedSampler for some epochs; returns the model and the global batches (indices) seen."""
    x, y = make_data()
    sampler = DistributedSampler(Indexed(x, y), num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=0)
    loader = DataLoader(Indexed(x, y), batch_size=batch, sampler=sampler)
    model = DDP(make_model(norm).to(ctx.device))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    global_batches = []
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same one on every rank
        for xb, yb, idx in loader:
            opt.zero_grad()
            F.cross_entropy(model(xb.to(ctx.device)), yb.to(ctx.device)).backward()  # DDP averages the grads
            opt.step()
            everyone = [None] * ctx.world_size
            dist.all_gather_object(everyone, idx.tolist())
            global_batches.append([i for part in everyone for i in part])
    return model.module, global_batches


def train_reference(global_batches, norm: str = "none", lr: float = 0.3) -> nn.Module:
    """One process, the same global batches (the union of the ranks' batches), full batch per step."""
    x, y = make_data()
    model = make_model(norm)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for idx in global_batches:
        opt.zero_grad()
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    return model


def equivalence(ctx: Context) -> dict:
    out = {}
    for norm in ["none", "batch", "layer"]:
        model, batches = train_ddp(ctx, norm)
        out[norm] = max_diff(model.cpu(), train_reference(batches, norm))
    out["steps"] = len(batches)
    out["global_batch"] = len(batches[0])
    try:  # SyncBatchNorm: GPU (or XPU) only
        model, batches = train_ddp(ctx, "syncbatch")
        out["syncbatch"] = max_diff(model.cpu(), train_reference(batches, "batch"))
    except ValueError as err:
        out["syncbatch_error"] = f"{type(err).__name__}: {err}"
    return out


def bucket_model() -> nn.Module:
    seed_rank(2, same_on_every_rank=True)
    return nn.Sequential(*[nn.Linear(256, 256) for _ in range(6)])  # 6 x 65,792 float32 parameters


def count_buckets(ctx: Context, bucket_cap_mb: float, iterations: int = 3) -> list[int]:
    """Number of elements in each all-reduce DDP issues in the last backward (a communication hook counts)."""
    model = DDP(bucket_model().to(ctx.device), bucket_cap_mb=bucket_cap_mb)
    calls: list[int] = []

    def counting_hook(state, bucket):
        calls.append(bucket.buffer().numel())
        buf = bucket.buffer().div_(ctx.world_size)
        return dist.all_reduce(buf, async_op=True).get_future().then(lambda fut: fut.value()[0])

    model.register_comm_hook(None, counting_hook)
    x = torch.randn(8, 256, device=ctx.device)
    for _ in range(iterations):  # DDP rebuilds its buckets in backward order after the first iteration
        calls.clear()
        model(x).sum().backward()
    return list(calls)


def buckets(ctx: Context) -> dict:
    caps = [0.1, 0.5, 25.0]
    return {"caps_mb": caps, "calls": [count_buckets(ctx, c) for c in caps],
            "n_params": sum(p.numel() for p in bucket_model().parameters())}


def accumulation(ctx: Context, micro: int = 3) -> dict:
    """``micro`` micro-batches, gradients synced once (no_sync), against one step on the whole local batch."""
    x, y = make_data()
    local = slice(ctx.rank, None, ctx.world_size)
    xl, yl = x[local][:24].to(ctx.device), y[local][:24].to(ctx.device)  # (24, d) per rank
    calls = {"with_no_sync": 0, "without_no_sync": 0, "one_big_batch": 0}

    def hook_for(key):
        def hook(state, bucket):
            calls[key] += 1
            buf = bucket.buffer().div_(ctx.world_size)
            return dist.all_reduce(buf, async_op=True).get_future().then(lambda fut: fut.value()[0])
        return hook

    models = {key: DDP(make_model().to(ctx.device)) for key in calls}
    for key, model in models.items():
        model.register_comm_hook(None, hook_for(key))
    parts = list(zip(xl.chunk(micro), yl.chunk(micro)))
    for i, (xm, ym) in enumerate(parts):
        (F.cross_entropy(models["without_no_sync"](xm), ym) / micro).backward()  # syncs every time
        if i < micro - 1:
            with models["with_no_sync"].no_sync():  # gradients accumulate locally, no all-reduce
                (F.cross_entropy(models["with_no_sync"](xm), ym) / micro).backward()
        else:
            (F.cross_entropy(models["with_no_sync"](xm), ym) / micro).backward()  # this backward syncs the sum
    F.cross_entropy(models["one_big_batch"](xl), yl).backward()

    def grad_diff(a, b):
        return max((p.grad - q.grad).abs().max().item() for p, q in zip(a.parameters(), b.parameters()))

    reference = models["one_big_batch"]
    return {"micro_batches": micro, "allreduce_calls": calls,
            "grad_diff": {k: grad_diff(models[k], reference) for k in ("with_no_sync", "without_no_sync")}}


def traps(ctx: Context) -> dict:
    out = {}
    # 1. set_epoch: without it, every epoch replays the same order.
    sampler = DistributedSampler(range(16), num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=0)
    no_set = [list(sampler) for _ in range(2)]
    with_set = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        with_set.append(list(sampler))
    out["order_without_set_epoch"], out["order_with_set_epoch"] = no_set, with_set

    # 2. Seeding: one seed everywhere gives every rank the same dropout mask (and the same augmentation).
    masks = {}
    for how in ["same", "per_rank"]:
        seed_rank(0, ctx.rank, same_on_every_rank=(how == "same"))
        mask = (F.dropout(torch.ones(1000, device=ctx.device), p=0.5) > 0).double()
        everyone = [torch.empty_like(mask) for _ in range(ctx.world_size)]
        dist.all_gather(everyone, mask)
        masks[how] = (everyone[0] == everyone[1]).double().mean().item() if ctx.world_size > 1 else 1.0
    out["dropout_mask_agreement"] = masks
    # ...while DDP broadcasts rank 0's weights at construction, so differently seeded inits still agree.
    seed_rank(0, ctx.rank)  # a different init on each rank
    w_before = nn.Linear(4, 4).to(ctx.device)
    first = w_before.weight.detach().clone()
    ddp = DDP(w_before)
    everyone = [torch.empty_like(first) for _ in range(ctx.world_size)]
    dist.all_gather(everyone, first)
    out["inits_differ_before_ddp"] = bool((everyone[0] != everyone[-1]).any())
    dist.all_gather(everyone, ddp.module.weight.detach().clone())
    out["weights_equal_after_ddp"] = bool(all(torch.equal(everyone[0], e) for e in everyone))

    # 3. Saving: every rank writing the checkpoint writes it N times; keys of a DDP model start with "module.".
    shared = [None]
    if ctx.rank == 0:
        shared[0] = tempfile.mkdtemp(prefix="dlbook_ckpt_")
    dist.broadcast_object_list(shared, src=0)  # one folder for all ranks, as on a shared file system
    folder = shared[0]
    for guard in [False, True]:
        if not guard or ctx.rank == 0:
            with open(os.path.join(folder, f"writes_guard_{guard}.log"), "a") as log:
                log.write(f"rank {ctx.rank}\n")
            if guard:
                torch.save(ddp.module.state_dict(), os.path.join(folder, "model.pt"))  # unwrap: no "module."
    dist.barrier()  # nobody reads before rank 0 has finished writing
    counts = {}
    for guard in [False, True]:
        with open(os.path.join(folder, f"writes_guard_{guard}.log")) as log:
            counts[str(guard)] = len(log.readlines())
    out["checkpoint_writes"] = counts
    out["ddp_state_dict_keys"] = list(ddp.state_dict())
    loaded = nn.Linear(4, 4)
    loaded.load_state_dict(torch.load(os.path.join(folder, "model.pt"), map_location="cpu"))
    out["loaded_equals_own"] = bool(torch.equal(loaded.weight, ddp.module.weight.detach().cpu()))
    dist.barrier()
    if ctx.rank == 0:
        for name in os.listdir(folder):
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
    return out


def throughput(ctx: Context, steps: int, rounds: int = 3, global_batch: int = 256) -> dict:
    """Seconds for ``steps`` steps, ``rounds`` times: one process on the global batch, then N under DDP
    (with and without its all-reduce)."""
    seed_rank(3, same_on_every_rank=True)

    def net():
        seed_rank(3, same_on_every_rank=True)
        return nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10)).to(ctx.device)

    x = torch.randn(global_batch, 256, device=ctx.device)
    y = torch.randint(0, 10, (global_batch,), device=ctx.device)

    def timed(model, xb, yb, sync=True) -> float:
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        for i in range(steps + 3):  # 3 warm-up steps
            if i == 3:
                synchronize(ctx.device)
                start = time.perf_counter()
            opt.zero_grad()
            if sync:
                F.cross_entropy(model(xb), yb).backward()
            else:
                with model.no_sync():
                    F.cross_entropy(model(xb), yb).backward()
            opt.step()
        synchronize(ctx.device)
        return time.perf_counter() - start

    out = {"steps": steps, "global_batch": global_batch, "one_process_s": [], "ddp_s": [], "ddp_no_comm_s": []}
    shard = slice(ctx.rank, None, ctx.world_size)
    for _ in range(rounds):  # the three configurations alternate, so a burst of load hits all of them
        dist.barrier()
        if ctx.rank == 0:  # the other ranks idle at the barrier meanwhile
            out["one_process_s"].append(timed(net(), x, y))
        dist.barrier()
        out["ddp_s"].append(timed(DDP(net()), x[shard], y[shard]))
        dist.barrier()
        out["ddp_no_comm_s"].append(timed(DDP(net()), x[shard], y[shard], sync=False))
    return out


def main(ctx: Context) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--throughput-steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only-throughput", action="store_true")
    args = parser.parse_args()
    out = {"rank": ctx.rank, "world_size": ctx.world_size, "backend": ctx.backend}
    if not args.only_throughput:
        out.update(equivalence=equivalence(ctx), buckets=buckets(ctx), accumulation=accumulation(ctx),
                   traps=traps(ctx))
    out["throughput"] = throughput(ctx, args.throughput_steps, args.rounds)
    return out


if __name__ == "__main__":
    run(main)
