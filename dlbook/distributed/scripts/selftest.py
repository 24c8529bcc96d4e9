"""A tiny worker for the launcher's tests: succeed, raise on one rank, kill one rank, or hang.

    torchrun --standalone --nproc_per_node=2 selftest.py --mode ok|raise|kill|hang [--rank 1]
"""

from __future__ import annotations

import argparse
import os
import signal
import time

import torch
import torch.distributed as dist

from dlbook_worker import Context, run


def main(ctx: Context) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["ok", "raise", "kill", "hang"], default="ok")
    parser.add_argument("--rank", type=int, default=1, help="the rank that misbehaves")
    parser.add_argument("--pid-dir", default="", help="write this rank's pid here (for the tests)")
    args = parser.parse_args()
    if args.pid_dir:
        with open(os.path.join(args.pid_dir, f"rank{ctx.rank}.pid"), "w") as f:
            f.write(str(os.getpid()))
    x = torch.tensor([float(ctx.rank + 1)], device=ctx.device)
    dist.all_reduce(x)
    if ctx.rank == args.rank:
        if args.mode == "raise":
            raise ArithmeticError(f"rank {ctx.rank} fails on purpose")
        if args.mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if args.mode == "hang":
            time.sleep(3600)
    dist.all_reduce(x)  # the other ranks wait here for the one that misbehaves
    return {"rank": ctx.rank, "world_size": ctx.world_size, "sum": x.item(), "pid": os.getpid(),
            "backend": ctx.backend}


if __name__ == "__main__":
    run(main)
