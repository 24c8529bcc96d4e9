"""Chapter 12, notebook 4: a Megatron-style tensor-parallel MLP on N processes, checked equal to the
unsplit MLP in its output and in every gradient.

    torchrun --standalone --nproc_per_node=2 tensor_parallel.py
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from dlbook_worker import Context, run, seed_rank


class CopyToRanks(torch.autograd.Function):
    """Megatron's f: identity forward; all-reduce the input's gradient backward (each rank saw all of x)."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class SumOverRanks(torch.autograd.Function):
    """Megatron's g: all-reduce the partial outputs forward; identity backward (the output is replicated)."""

    @staticmethod
    def forward(ctx, partial):
        out = partial.clone()
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad


def tensor_parallel_mlp(x, w1, b1, w2, b2):
    """y = GELU(x A) B with A split by columns (w1's rows here: nn.Linear stores A transposed) and B by rows.

    Shapes on each of N ranks: x (batch, d), w1 (h/N, d), b1 (h/N,), w2 (d, h/N), b2 (d,) (added once).
    """
    x = CopyToRanks.apply(x)
    hidden = F.gelu(x @ w1.T + b1)  # (batch, h/N): this rank's columns of the hidden layer
    partial = hidden @ w2.T  # (batch, d): this rank's share of the output, to be summed
    return SumOverRanks.apply(partial) + b2


def main(ctx: Context) -> dict:
    seed_rank(0, same_on_every_rank=True)
    d, h, batch = 8, 32, 6
    mlp = nn.Sequential(nn.Linear(d, h), nn.GELU(), nn.Linear(h, d)).double().to(ctx.device)
    x = torch.randn(batch, d, dtype=torch.float64, device=ctx.device, requires_grad=True)
    target = torch.randn(batch, d, dtype=torch.float64, device=ctx.device)

    # reference: the whole MLP on this rank
    F.mse_loss(mlp(x), target).backward()
    y_full = mlp(x).detach()
    grad_x_full = x.grad.clone()

    # this rank's shard of the weights
    cols = slice(ctx.rank * h // ctx.world_size, (ctx.rank + 1) * h // ctx.world_size)
    w1 = mlp[0].weight.detach()[cols].clone().requires_grad_()  # (h/N, d)
    b1 = mlp[0].bias.detach()[cols].clone().requires_grad_()  # (h/N,)
    w2 = mlp[2].weight.detach()[:, cols].clone().requires_grad_()  # (d, h/N)
    b2 = mlp[2].bias.detach().clone().requires_grad_()  # (d,)
    xt = x.detach().clone().requires_grad_()
    y = tensor_parallel_mlp(xt, w1, b1, w2, b2)
    F.mse_loss(y, target).backward()

    def diff(a, b):
        return (a - b).abs().max().item()

    return {"rank": ctx.rank, "world_size": ctx.world_size, "backend": ctx.backend,
            "output_diff": diff(y.detach(), y_full),
            "grad_diffs": {"w1": diff(w1.grad, mlp[0].weight.grad[cols]), "b1": diff(b1.grad, mlp[0].bias.grad[cols]),
                           "w2": diff(w2.grad, mlp[2].weight.grad[:, cols]), "b2": diff(b2.grad, mlp[2].bias.grad),
                           "x": diff(xt.grad, grad_x_full)},
            "weight_numel_local": w1.numel() + b1.numel() + w2.numel() + b2.numel(),
            "weight_numel_full": sum(p.numel() for p in mlp.parameters()),
            "allreduce_numel": batch * d}


if __name__ == "__main__":
    run(main)
