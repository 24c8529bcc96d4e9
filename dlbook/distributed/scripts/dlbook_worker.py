"""What every worker script shares: start-up, the backend, per-rank seeding, a rank-0 print,
results back as JSON, and a clean teardown.

A script launched by torchrun imports this file as a sibling module (the script's folder is first on
``sys.path``), so a rank imports only torch, not all of dlbook. `dlbook.distributed` re-exports it.

Reference: PyTorch, "Writing distributed applications with PyTorch" and the torchrun docs.
"""

from __future__ import annotations

import json
import os
import random
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist

#: Folder where each rank writes ``rank{r}.json`` (results), ``rank{r}.error`` and ``rank{r}.pid``.
OUT_ENV = "DLBOOK_DIST_OUT"
#: Forces a backend ("gloo" or "nccl"); otherwise NCCL when CUDA is usable, else gloo.
BACKEND_ENV = "DLBOOK_DIST_BACKEND"


def choose_backend(local_world_size: int | None = None) -> str:
    """The process-group backend: ``$DLBOOK_DIST_BACKEND``, else NCCL on CUDA, else gloo.

    NCCL needs one GPU per process: with fewer GPUs than processes on this machine (two ranks in a
    one-GPU Colab, say) the ranks use gloo on the CPU. ``DLBOOK_DEVICE=cpu`` (set by the course's
    pinned runs) also keeps gloo where CUDA exists.

    Args:
        local_world_size: processes on this machine (default: torchrun's ``LOCAL_WORLD_SIZE``, or 1).
    """
    forced = os.environ.get(BACKEND_ENV, "").strip().lower()
    if forced:
        if forced not in ("gloo", "nccl"):
            raise ValueError(f"{BACKEND_ENV} must be 'gloo' or 'nccl', got {forced!r}")
        return forced
    if os.environ.get("DLBOOK_DEVICE", "").lower().startswith("cpu"):
        return "gloo"
    if local_world_size is None:
        local_world_size = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if torch.cuda.is_available() and dist.is_nccl_available() and torch.cuda.device_count() >= local_world_size:
        return "nccl"
    return "gloo"


@dataclass
class Context:
    """Who this process is: global rank, world size, rank on this machine, its device and backend."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    backend: str


def init() -> Context:
    """Join the process group torchrun describes in the environment (RANK, WORLD_SIZE, MASTER_ADDR...).

    With NCCL each process drives the GPU numbered by its LOCAL_RANK; with gloo every rank uses the CPU.

    Raises:
        RuntimeError: if the script was not started by torchrun (no RANK/WORLD_SIZE in the environment).
    """
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        raise RuntimeError("no RANK/WORLD_SIZE in the environment: start this script with torchrun "
                           "(e.g. dlbook.distributed.launch)")
    backend = choose_backend()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if backend == "nccl":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    dist.init_process_group(backend)
    ctx = Context(dist.get_rank(), dist.get_world_size(), local_rank, device, backend)
    out = os.environ.get(OUT_ENV)
    if out:  # the launcher kills any pid it finds here that is still alive after the job
        Path(out, f"rank{ctx.rank}.pid").write_text(str(os.getpid()))
    return ctx


def seed_rank(seed: int, rank: int | None = None, *, same_on_every_rank: bool = False) -> int:
    """Seed Python and torch for this rank and return the seed used.

    Model initialisation wants the *same* seed everywhere (or a broadcast from rank 0); data
    augmentation and dropout want a *different* stream per rank, ``seed + rank``.

    Args:
        seed: base seed, a non-negative int.
        rank: this process's rank (default: the process group's, or 0 without one).
        same_on_every_rank: use ``seed`` itself instead of ``seed + rank``.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed_rank expects a non-negative int seed, got {seed!r}")
    if rank is None:
        rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
    used = seed if same_on_every_rank else seed + rank
    random.seed(used)
    torch.manual_seed(used)
    return used


def print0(*args: Any, **kwargs: Any) -> None:
    """``print`` on rank 0 only (every rank prints when there is no process group)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0:
        print(*args, **kwargs, flush=True)


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work before reading a clock (a no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run(main: Callable[[Context], dict]) -> None:
    """Start, call ``main(ctx)``, write its dict as ``rank{r}.json``, then barrier and tear down.

    A rank that raises writes its traceback to ``rank{r}.error`` (the launcher shows it) and exits
    non-zero, and torchrun stops the other ranks. The barrier before ``destroy_process_group`` keeps
    one rank from tearing down while another still talks to it (without it, gloo runs sometimes
    died with SIGABRT at exit).
    """
    ctx = init()
    out = os.environ.get(OUT_ENV)
    try:
        result = main(ctx)
        json.dumps(result)  # fail here, with the rank's traceback, if a value is not JSON
    except BaseException:
        if out:
            Path(out, f"rank{ctx.rank}.error").write_text(traceback.format_exc())
        raise
    if out:
        tmp = Path(out, f"rank{ctx.rank}.json.tmp")
        tmp.write_text(json.dumps(result))
        tmp.replace(Path(out, f"rank{ctx.rank}.json"))
    else:
        print0(json.dumps(result))
    if ctx.backend == "nccl":
        dist.barrier(device_ids=[ctx.local_rank])
    else:
        dist.barrier()
    dist.destroy_process_group()
    sys.stdout.flush()
