"""Data-parallel throughput on this machine: 2 DDP processes (gloo, or NCCL on GPUs) against 1 process.

Launches `dlbook/distributed/scripts/ddp.py --only-throughput` with torchrun. The script alternates, in
rounds, one process training on the global batch of 256, two DDP processes on 128 each, and the same
two with `no_sync` (no all-reduce). Reported: samples per second of 2 processes relative to 1 (the
scaling, ideally 2 on two free cores or GPUs), and the share of the DDP step that the all-reduce costs.
These are measurements of this machine at this moment, not targets: nothing is asserted.
"""

from __future__ import annotations

import statistics

from dlbook import distributed as D

ROUNDS, STEPS = 5, 30


def main() -> None:
    results = D.launch("ddp", nproc=2, args=["--only-throughput", "--throughput-steps", str(STEPS),
                                             "--rounds", str(ROUNDS)], timeout=600)
    tp = [r["throughput"] for r in results]
    one = statistics.median(tp[0]["one_process_s"])
    ddp = statistics.median(max(t) for t in zip(*(t["ddp_s"] for t in tp)))
    no_comm = statistics.median(max(t) for t in zip(*(t["ddp_no_comm_s"] for t in tp)))
    print(f"backend {results[0]['backend']}, {ROUNDS} rounds of {STEPS} steps, global batch {tp[0]['global_batch']}")
    print(f"samples/s, 2 DDP processes / 1 process:          {one / ddp:.2f}  (ideal 2.00)")
    print(f"samples/s, 2 processes without all-reduce / 1:   {one / no_comm:.2f}")
    print(f"share of the DDP step spent in the all-reduce:    {max(0.0, 1 - no_comm / ddp):.2f}")


if __name__ == "__main__":
    main()
