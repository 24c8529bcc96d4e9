"""Chapter 12, notebook 3: FSDP2 (``fully_shard``) trains a small model on N processes; its weights
equal an unsharded run's, and each rank holds 1/N of the weights, gradients and Adam state.

    torchrun --standalone --nproc_per_node=2 fsdp.py [--steps 5]
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributed.device_mesh import init_device_mesh

try:  # public since torch 2.6
    from torch.distributed.fsdp import fully_shard
except ImportError:  # torch 2.4-2.5
    from torch.distributed._composable.fsdp import fully_shard

from dlbook_worker import Context, run, seed_rank


def make_problem(n: int = 32, d: int = 16, classes: int = 4):
    seed_rank(0, same_on_every_rank=True)
    x = torch.randn(n, d, dtype=torch.float64)
    y = torch.randint(0, classes, (n,))
    model = nn.Sequential(nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, classes)).double()
    return x, y, model


def local_bytes(t: torch.Tensor) -> int:
    """Bytes this rank stores for ``t`` (its shard if ``t`` is a DTensor)."""
    t = t.to_local() if hasattr(t, "to_local") else t
    return t.numel() * t.element_size()


def memory(model: nn.Module, opt: torch.optim.Optimizer) -> dict:
    state = [v for s in opt.state.values() for k, v in s.items() if k in ("exp_avg", "exp_avg_sq")]
    return {"params": sum(local_bytes(p) for p in model.parameters()),
            "grads": sum(local_bytes(p.grad) for p in model.parameters()),
            "adam_state": sum(local_bytes(v) for v in state)}


def shard_model(model: nn.Module, ctx: Context) -> nn.Module:
    """FSDP2: each Linear is its own unit (all-gathered just before its forward, freed after), then the root."""
    mesh = init_device_mesh(ctx.device.type, (ctx.world_size,))  # a CPU mesh with gloo, a CUDA mesh with NCCL
    for layer in model:
        if isinstance(layer, nn.Linear):
            fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    return model


def main(ctx: Context) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    x, y, reference = make_problem()
    _, _, sharded = make_problem()
    sharded = shard_model(sharded.to(ctx.device), ctx)
    opt_ref = torch.optim.Adam(reference.parameters(), lr=1e-2)
    opt = torch.optim.Adam(sharded.parameters(), lr=1e-2)
    shard = slice(ctx.rank, None, ctx.world_size)
    xs, ys = x[shard].to(ctx.device), y[shard].to(ctx.device)
    for _ in range(args.steps):
        opt.zero_grad()
        F.cross_entropy(sharded(xs), ys).backward()  # FSDP reduce-scatters the mean gradient
        opt.step()
        opt_ref.zero_grad()
        F.cross_entropy(reference(x), y).backward()
        opt_ref.step()
    placements = {name: str(p.placements) for name, p in list(sharded.named_parameters())[:2]}
    local_shapes = {name: list(p.to_local().shape) for name, p in sharded.named_parameters()}
    mem_sharded, mem_full = memory(sharded, opt), memory(reference, opt_ref)
    full = [p.full_tensor().cpu() for p in sharded.parameters()]  # a collective: every rank calls it
    diff = max((a - b).abs().max().item() for a, b in zip(full, reference.parameters()))
    return {"rank": ctx.rank, "world_size": ctx.world_size, "backend": ctx.backend, "steps": args.steps,
            "max_diff": diff, "param_type": type(next(sharded.parameters())).__name__,
            "placements": placements, "local_shapes": local_shapes,
            "full_shapes": {n: list(p.shape) for n, p in reference.named_parameters()},
            "memory_sharded": mem_sharded, "memory_unsharded": mem_full}


if __name__ == "__main__":
    run(main)
