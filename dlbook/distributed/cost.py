"""The arithmetic of distributed training, in one process: a simulated ring all-reduce, its bytes,
a latency-bandwidth fit, ZeRO/FSDP memory and communication per worker, the pipeline bubble, the
linear-scaling rule for N workers, and a data-parallel gradient simulated on shards of one batch.

References: Patarasuk & Yuan (2009), bandwidth-optimal all-reduce; Rajbhandari et al. (2020), ZeRO;
Huang et al. (2019), GPipe; Narayanan et al. (2021), Megatron-LM at scale; Goyal et al. (2017),
large-minibatch SGD (the linear-scaling rule).
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

__all__ = [
    "ring_allreduce",
    "ring_allreduce_bytes",
    "fit_latency_bandwidth",
    "zero_memory_per_worker",
    "zero_communication_per_worker",
    "pipeline_bubble",
    "linear_scaling",
    "data_parallel_gradients",
    "ZERO_STAGES",
]

#: What each ZeRO stage shards across the workers (stage 0 is plain data parallelism, DDP;
#: stage 3 shards everything, as FSDP's full sharding does).
ZERO_STAGES = {0: "nothing (DDP)", 1: "optimizer state", 2: "optimizer state + gradients",
               3: "optimizer state + gradients + weights (FSDP)"}


def ring_allreduce(tensors: Sequence[torch.Tensor]) -> tuple[list[torch.Tensor], list[int]]:
    """Sum N tensors, one per simulated rank, the way a ring all-reduce does, and count what moves.

    Each tensor is cut into N chunks. Reduce-scatter: in N-1 steps rank r sends one chunk to rank
    r+1, which adds it to its own, so rank r ends up with the full sum of chunk (r+1) mod N.
    All-gather: in N-1 more steps the reduced chunks travel round the ring. Each rank sends
    2(N-1) chunks, i.e. 2(N-1)/N of its tensor, whatever N is.

    Args:
        tensors: N tensors of equal shape (one per rank), N >= 1.

    Returns:
        ``(results, sent)``: N tensors, each the elementwise sum, and the number of elements each
        rank sent.

    Raises:
        ValueError: if the list is empty or the shapes differ.
    """
    if len(tensors) == 0:
        raise ValueError("ring_allreduce needs at least one tensor (one per rank), got none")
    shape = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        if tuple(t.shape) != shape:
            raise ValueError(f"every rank's tensor must have shape {shape}, rank {i} has {tuple(t.shape)}")
    n = len(tensors)
    flat = [t.detach().reshape(-1).clone() for t in tensors]  # (numel,) per rank
    bounds = [len(c) for c in torch.arange(flat[0].numel()).tensor_split(n)]
    chunks = [list(f.split(bounds)) for f in flat]  # chunks[rank][chunk]: views into flat[rank]
    sent = [0] * n
    for step in range(n - 1):  # reduce-scatter
        # every rank sends at once: read the outgoing chunks before anyone adds
        outgoing = [(r, (r - step) % n, chunks[r][(r - step) % n].clone()) for r in range(n)]
        for r, c, data in outgoing:
            chunks[(r + 1) % n][c] += data
            sent[r] += data.numel()
    for step in range(n - 1):  # all-gather: rank r owns the reduced chunk (r + 1) mod n
        outgoing = [(r, (r + 1 - step) % n, chunks[r][(r + 1 - step) % n].clone()) for r in range(n)]
        for r, c, data in outgoing:
            chunks[(r + 1) % n][c].copy_(data)
            sent[r] += data.numel()
    return [f.reshape(shape) for f in flat], sent


def ring_allreduce_bytes(nbytes: float, world_size: int) -> float:
    """Bytes each rank sends (and receives) in a ring all-reduce of a ``nbytes`` buffer: 2(N-1)/N · nbytes."""
    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    if nbytes < 0:
        raise ValueError(f"nbytes must be >= 0, got {nbytes}")
    return 2 * (world_size - 1) / world_size * nbytes


def fit_latency_bandwidth(nbytes: Sequence[float], seconds: Sequence[float]) -> tuple[float, float]:
    """Fit the alpha-beta model ``t = alpha + nbytes / bandwidth`` by least squares on relative errors.

    Timings span orders of magnitude, so each point is weighted by 1/t: a plain fit would let the
    largest messages decide alpha alone (and often make it negative).

    Args:
        nbytes: message sizes in bytes, at least two distinct values.
        seconds: measured times, one per size.

    Returns:
        ``(alpha, bandwidth)``: the latency term in seconds and the bandwidth in bytes per second.
    """
    x = torch.as_tensor(nbytes, dtype=torch.float64)
    y = torch.as_tensor(seconds, dtype=torch.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"nbytes and seconds must be 1-D of equal length, got {tuple(x.shape)} and {tuple(y.shape)}")
    if torch.unique(x).numel() < 2:
        raise ValueError("need at least two distinct message sizes to fit latency and bandwidth")
    if (y <= 0).any():
        raise ValueError("seconds must be positive")
    design = torch.stack([torch.ones_like(x), x], dim=1) / y[:, None]  # (n, 2), rows scaled by 1/t
    alpha, beta = torch.linalg.lstsq(design, torch.ones_like(y)[:, None]).solution[:, 0].tolist()
    return alpha, (1.0 / beta if beta > 0 else float("inf"))


def zero_memory_per_worker(n_params: float, world_size: int, stage: int, weight_bytes: float = 2,
                           grad_bytes: float = 2, optimizer_bytes: float = 12) -> float:
    """Bytes per worker for weights, gradients and optimizer state under ZeRO stage 0-3.

    The defaults are mixed-precision Adam (16 bytes per parameter): 16-bit weights and gradients,
    and fp32 master weights, first and second moments (4 + 4 + 4). Activations are not counted.

    Args:
        n_params: number of parameters Ψ.
        world_size: number of data-parallel workers N.
        stage: 0 (DDP, nothing sharded), 1 (optimizer state), 2 (+ gradients), 3 (+ weights; FSDP).
    """
    if stage not in ZERO_STAGES:
        raise ValueError(f"stage must be one of {sorted(ZERO_STAGES)}, got {stage!r}")
    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    w = weight_bytes / (world_size if stage >= 3 else 1)
    g = grad_bytes / (world_size if stage >= 2 else 1)
    o = optimizer_bytes / (world_size if stage >= 1 else 1)
    return n_params * (w + g + o)


def zero_communication_per_worker(n_params: float, world_size: int, stage: int, elem_bytes: float = 2) -> float:
    """Bytes each worker sends per training step under ZeRO stage 0-3 (ring collectives).

    Stages 0-2 reduce the gradients (an all-reduce, or a reduce-scatter then an all-gather of the
    updated weights): 2(N-1)/N · Ψ elements. Stage 3 all-gathers the weights again for the backward
    pass: 3(N-1)/N · Ψ, 1.5 times as much.
    """
    if stage not in ZERO_STAGES:
        raise ValueError(f"stage must be one of {sorted(ZERO_STAGES)}, got {stage!r}")
    passes = 3 if stage == 3 else 2
    return passes * (world_size - 1) / world_size * n_params * elem_bytes


def pipeline_bubble(stages: int, micro_batches: int) -> float:
    """Idle fraction of a GPipe schedule with p stages and m micro-batches: (p-1)/(m+p-1)."""
    if stages < 1 or micro_batches < 1:
        raise ValueError(f"stages and micro_batches must be >= 1, got {stages} and {micro_batches}")
    return (stages - 1) / (micro_batches + stages - 1)


def linear_scaling(base_lr: float, base_batch: int, per_worker_batch: int, world_size: int,
                   reduction: str = "mean") -> tuple[int, float]:
    """Global batch and learning rate for N data-parallel workers, by the linear-scaling rule.

    A recipe tuned with batch B and learning rate η moves to N workers of b examples each: the
    global batch is N·b and the learning rate η·N·b/B (Goyal et al., 2017). That is the rate to
    give the optimizer when the gradients are averaged over the workers, as DDP does
    (``reduction="mean"``). Summed gradients (``"sum"``) are already N times the average, so for
    plain SGD the rate to give is N times smaller, η·b/B.

    Args:
        base_lr: the learning rate η tuned for batch ``base_batch``.
        base_batch: the batch B of that recipe.
        per_worker_batch: the examples b each worker takes per step.
        world_size: the number of workers N.
        reduction: how the workers' gradients are combined, ``"mean"`` or ``"sum"``.

    Returns:
        ``(global_batch, lr)``.
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    for name, value in (("base_batch", base_batch), ("per_worker_batch", per_worker_batch),
                        ("world_size", world_size)):
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    global_batch = world_size * per_worker_batch
    lr = base_lr * global_batch / base_batch
    return global_batch, (lr if reduction == "mean" else lr / world_size)


def data_parallel_gradients(
    model: nn.Module, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], X: torch.Tensor,
    y: torch.Tensor, world_size: int,
) -> tuple[list[list[torch.Tensor]], list[torch.Tensor]]:
    """One data-parallel gradient, simulated in one process on shards of one batch.

    The batch is cut into ``world_size`` contiguous shards (``tensor_split``: when N does not divide
    the batch, the first shards hold one example more). "Rank" k computes the gradient of the mean
    loss on its shard; the shards' gradients are then combined with weights n_k / n, which gives the
    gradient of the mean loss on the whole batch. With equal shards the weights are all 1/N, the
    plain average DDP computes; with unequal ones a plain average is wrong, which is why
    ``DistributedSampler`` pads the data so that every rank has as many examples.

    Args:
        model: the model (its ``.grad`` fields are left alone: gradients come from ``torch.autograd.grad``).
        loss_fn: ``loss_fn(model(X_k), y_k)``, a mean over the shard (e.g. ``F.cross_entropy``).
        X: the batch, ``(n, ...)``; y: its targets, ``(n, ...)``.
        world_size: the number of simulated ranks N, 1 <= N <= n.

    Returns:
        ``(shard_grads, grads)``: ``shard_grads[k]`` the gradients of rank k's loss, one tensor per
        parameter in ``model.parameters()`` order, and ``grads`` the full-batch gradient, likewise.
    """
    if len(X) != len(y):
        raise ValueError(f"X and y must have as many rows, got {len(X)} and {len(y)}")
    if not 1 <= world_size <= len(X):
        raise ValueError(f"world_size must be between 1 and the batch size {len(X)}, got {world_size}")
    params = [p for p in model.parameters() if p.requires_grad]
    shard_grads = []
    for X_k, y_k in zip(X.tensor_split(world_size), y.tensor_split(world_size)):
        shard_grads.append(list(torch.autograd.grad(loss_fn(model(X_k), y_k), params)))
    weights = [len(X_k) / len(X) for X_k in X.tensor_split(world_size)]  # n_k / n
    grads = [sum(w * g[i] for w, g in zip(weights, shard_grads)) for i in range(len(params))]
    return shard_grads, grads
