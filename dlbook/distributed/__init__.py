"""Training on several processes with ``torch.distributed`` (chapter 12).

- :func:`launch` runs a worker script with ``torchrun --standalone`` and returns each rank's JSON
  results; failures surface the rank's traceback, timeouts kill every process.
- Worker-side helpers (imported by the scripts in ``scripts/``): :func:`choose_backend` (gloo on
  the CPU, NCCL on GPUs, ``DLBOOK_DIST_BACKEND`` to force), :func:`seed_rank`, :func:`print0`,
  :func:`run`.
- ``cost``: the arithmetic that needs no second process (a simulated ring all-reduce, ZeRO memory,
  the pipeline bubble, the linear-scaling rule, a data-parallel gradient on shards of one batch).

The scripts the chapter launches ship in ``dlbook/distributed/scripts/`` (see :data:`SCRIPTS`).
"""

from __future__ import annotations

from . import cost
from .cost import (
    ZERO_STAGES,
    data_parallel_gradients,
    fit_latency_bandwidth,
    linear_scaling,
    pipeline_bubble,
    ring_allreduce,
    ring_allreduce_bytes,
    zero_communication_per_worker,
    zero_memory_per_worker,
)
from .launch import SCRIPTS, LaunchError, LaunchTimeout, launch, script_path, show_source
from .scripts.dlbook_worker import Context, choose_backend, print0, run, seed_rank

__all__ = [
    "SCRIPTS",
    "ZERO_STAGES",
    "Context",
    "LaunchError",
    "LaunchTimeout",
    "choose_backend",
    "cost",
    "data_parallel_gradients",
    "fit_latency_bandwidth",
    "launch",
    "linear_scaling",
    "pipeline_bubble",
    "print0",
    "ring_allreduce",
    "ring_allreduce_bytes",
    "run",
    "script_path",
    "seed_rank",
    "show_source",
    "zero_communication_per_worker",
    "zero_memory_per_worker",
]
