"""dlbook.distributed: the cost arithmetic against brute force, the worker helpers, and the torchrun
launcher on real 2-process jobs (success, a rank that raises, a rank killed, a hang past the timeout).

The launches use `torchrun --standalone` (a free port each), so they are safe under pytest-xdist.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pytest
import torch

from dlbook import distributed as D
from dlbook.distributed.launch import _alive

pytestmark = pytest.mark.slow  # kernels, subprocesses or training: left out of make unit-fast


# --- cost arithmetic -----------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("shape", [(12,), (7,), (3, 5)])
def test_ring_allreduce_sums_and_sends_2_n_minus_1_over_n(n, shape):
    g = torch.Generator().manual_seed(n)
    tensors = [torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(n)]
    results, sent = D.ring_allreduce(tensors)
    expected = torch.stack(tensors).sum(0)
    for r in results:
        torch.testing.assert_close(r, expected)
    numel = math.prod(shape)
    assert sum(sent) == n * 2 * (n - 1) * numel // n  # every element of every chunk moves 2(N-1) times in all
    if numel % n == 0:  # equal chunks: each rank sends exactly 2(N-1)/N of its tensor
        assert sent == [2 * (n - 1) * numel // n] * n
        assert sent[0] * 4 == D.ring_allreduce_bytes(4 * numel, n)


def test_ring_allreduce_leaves_inputs_alone_and_rejects_bad_input():
    a, b = torch.ones(4), torch.full((4,), 2.0)
    D.ring_allreduce([a, b])
    assert torch.equal(a, torch.ones(4)) and torch.equal(b, torch.full((4,), 2.0))
    with pytest.raises(ValueError, match="at least one"):
        D.ring_allreduce([])
    with pytest.raises(ValueError, match=r"shape \(4,\).*\(5,\)"):
        D.ring_allreduce([torch.ones(4), torch.ones(5)])
    with pytest.raises(ValueError, match="world_size"):
        D.ring_allreduce_bytes(10, 0)


def test_latency_bandwidth_fit_recovers_the_model():
    sizes = [2.0**k for k in range(8, 24, 2)]
    alpha, bandwidth = 5e-5, 2e9
    times = [alpha + s / bandwidth for s in sizes]
    a, bw = D.fit_latency_bandwidth(sizes, times)
    assert a == pytest.approx(alpha, rel=1e-6) and bw == pytest.approx(bandwidth, rel=1e-6)
    with pytest.raises(ValueError, match="two distinct"):
        D.fit_latency_bandwidth([8, 8], [1.0, 2.0])
    with pytest.raises(ValueError, match="equal length"):
        D.fit_latency_bandwidth([8, 16], [1.0])


def test_zero_memory_and_communication():
    psi, n = 7e9, 8
    assert D.zero_memory_per_worker(psi, n, 0) == 16 * psi  # DDP: everything replicated
    assert D.zero_memory_per_worker(psi, n, 1) == pytest.approx(psi * (2 + 2 + 12 / n))
    assert D.zero_memory_per_worker(psi, n, 2) == pytest.approx(psi * (2 + 14 / n))
    assert D.zero_memory_per_worker(psi, n, 3) == pytest.approx(16 * psi / n)
    assert D.zero_memory_per_worker(psi, 1, 3) == D.zero_memory_per_worker(psi, 1, 0)
    assert D.zero_communication_per_worker(psi, n, 3) == pytest.approx(1.5 * D.zero_communication_per_worker(psi, n, 0))
    assert D.zero_communication_per_worker(psi, n, 0) == pytest.approx(D.ring_allreduce_bytes(2 * psi, n))
    with pytest.raises(ValueError, match="stage"):
        D.zero_memory_per_worker(psi, n, 4)


def test_pipeline_bubble_matches_a_counted_gpipe_schedule():
    for p in [1, 2, 4]:
        for m in [1, 3, 8]:
            slots = m + p - 1  # forward slots in a GPipe schedule; stage s is busy in m of them
            idle = p * slots - p * m
            assert D.pipeline_bubble(p, m) == pytest.approx(idle / (p * slots))
    with pytest.raises(ValueError):
        D.pipeline_bubble(0, 4)


def test_linear_scaling_rule():
    # 8 workers of 32 from a recipe tuned at batch 64: the global batch is 256, 4 times the rate
    assert D.linear_scaling(0.1, 64, 32, 8) == (256, pytest.approx(0.4))
    # summed gradients are already 8 times the average: the rate to give is 8 times smaller
    assert D.linear_scaling(0.1, 64, 32, 8, reduction="sum") == (256, pytest.approx(0.05))
    assert D.linear_scaling(0.1, 64, 64, 1) == (64, pytest.approx(0.1))
    with pytest.raises(ValueError, match="reduction"):
        D.linear_scaling(0.1, 64, 32, 8, reduction="avg")
    with pytest.raises(ValueError, match="world_size"):
        D.linear_scaling(0.1, 64, 32, 0)


@pytest.mark.parametrize("n, world_size", [(12, 4), (13, 4), (7, 3), (5, 1)])
def test_data_parallel_gradients_equal_the_full_batch_gradient(n, world_size):
    """Weighted by shard size, the shards' gradients give the full batch's; a plain average does
    too with equal shards, and not with unequal ones (the case DistributedSampler pads away)."""
    import torch.nn.functional as F
    from torch import nn

    g = torch.Generator().manual_seed(n)
    model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double()
    X, y = torch.randn(n, 5, generator=g, dtype=torch.float64), torch.randint(0, 3, (n,), generator=g)
    shard_grads, grads = D.data_parallel_gradients(model, F.cross_entropy, X, y, world_size)
    full = torch.autograd.grad(F.cross_entropy(model(X), y), list(model.parameters()))
    assert len(shard_grads) == world_size and all(m.grad is None for m in model.parameters())
    for a, b in zip(grads, full):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    first = torch.autograd.grad(F.cross_entropy(model(X[: len(X.tensor_split(world_size)[0])]),
                                                y[: len(X.tensor_split(world_size)[0])]), list(model.parameters()))
    for a, b in zip(shard_grads[0], first):
        torch.testing.assert_close(a, b)
    plain = [sum(s[i] for s in shard_grads) / world_size for i in range(len(full))]
    same = all(torch.allclose(a, b, rtol=1e-10, atol=1e-12) for a, b in zip(plain, full))
    assert same == (n % world_size == 0), (n, world_size)
    with pytest.raises(ValueError, match="world_size"):
        D.data_parallel_gradients(model, F.cross_entropy, X, y, n + 1)


# --- worker helpers ------------------------------------------------------------------------------

def test_choose_backend(monkeypatch):
    monkeypatch.setenv("DLBOOK_DIST_BACKEND", "gloo")
    assert D.choose_backend() == "gloo"
    monkeypatch.setenv("DLBOOK_DIST_BACKEND", "mpi2")
    with pytest.raises(ValueError, match="gloo' or 'nccl'.*mpi2"):
        D.choose_backend()
    monkeypatch.delenv("DLBOOK_DIST_BACKEND")
    monkeypatch.setenv("DLBOOK_DEVICE", "cpu")
    assert D.choose_backend() == "gloo"
    monkeypatch.delenv("DLBOOK_DEVICE")
    assert D.choose_backend(1) == ("nccl" if torch.cuda.is_available() else "gloo")
    # NCCL needs a GPU per process: more processes than GPUs fall back to gloo
    assert D.choose_backend(torch.cuda.device_count() + 1) == "gloo"


def test_seed_rank_differs_per_rank_unless_asked():
    assert D.seed_rank(10, rank=3) == 13
    a = torch.rand(3)
    D.seed_rank(10, rank=3)
    assert torch.equal(a, torch.rand(3))
    assert D.seed_rank(10, rank=3, same_on_every_rank=True) == 10
    with pytest.raises(ValueError, match="non-negative int"):
        D.seed_rank(-1, rank=0)


def test_run_outside_torchrun_says_how_to_start(monkeypatch):
    monkeypatch.delenv("RANK", raising=False)
    with pytest.raises(RuntimeError, match="torchrun"):
        D.run(lambda ctx: {})


def test_script_path_and_show_source():
    assert D.script_path("ddp").name == "ddp.py" and D.script_path("ddp.py").is_file()
    with pytest.raises(FileNotFoundError, match="collectives"):
        D.script_path("no_such_script")
    src = D.show_source("collectives", "data_parallel_step")
    assert src.startswith("def data_parallel_step(") and "all_reduce" in src
    with pytest.raises(KeyError, match="nothing_here"):
        D.show_source("collectives", "nothing_here")


def test_launch_rejects_bad_arguments():
    with pytest.raises(ValueError, match="nproc"):
        D.launch("selftest", nproc=0)
    with pytest.raises(ValueError, match="timeout"):
        D.launch("selftest", timeout=0)


# --- real 2-process jobs -------------------------------------------------------------------------

def _pids(folder: Path) -> list[int]:
    return [int(p.read_text()) for p in sorted(folder.glob("rank*.pid"))]


def _assert_all_gone(pids: list[int], wait: float = 10.0) -> None:
    deadline = time.monotonic() + wait
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)], "a worker outlived its launch"


def test_launch_returns_each_ranks_results(tmp_path):
    results = D.launch("selftest", nproc=2, args=["--pid-dir", str(tmp_path)], timeout=240)
    assert [r["rank"] for r in results] == [0, 1]
    assert all(r["sum"] == 2 * (1 + 2) for r in results)  # all-reduce of rank+1 over 2 ranks, twice
    assert results[0]["pid"] != results[1]["pid"]
    assert all(r["backend"] == D.choose_backend() for r in results)
    _assert_all_gone(_pids(tmp_path))


def test_a_rank_that_raises_surfaces_its_traceback(tmp_path):
    with pytest.raises(D.LaunchError, match="fails on purpose") as info:
        D.launch("selftest", args=["--mode", "raise", "--pid-dir", str(tmp_path)], timeout=240)
    assert "rank1 traceback" in str(info.value) and "ArithmeticError" in str(info.value)
    assert len(_pids(tmp_path)) == 2
    _assert_all_gone(_pids(tmp_path))


def test_a_killed_rank_fails_the_job_and_leaves_nothing_running(tmp_path):
    with pytest.raises(D.LaunchError) as info:
        D.launch("selftest", args=["--mode", "kill", "--pid-dir", str(tmp_path)], timeout=240)
    assert not isinstance(info.value, D.LaunchTimeout)
    assert len(_pids(tmp_path)) == 2
    _assert_all_gone(_pids(tmp_path))


def test_a_hanging_rank_is_killed_at_the_timeout(tmp_path):
    start = time.monotonic()
    with pytest.raises(D.LaunchTimeout, match="ran past"):
        # Long enough for torchrun and both ranks to start on a loaded machine (a few seconds
        # each), short because the test waits it out.
        D.launch("selftest", args=["--mode", "hang", "--pid-dir", str(tmp_path)], timeout=30)
    assert time.monotonic() - start < 30 + 30  # killed soon after the timeout (SIGTERM, then SIGKILL)
    assert len(_pids(tmp_path)) == 2  # both ranks had started: the kill below is tested on real workers
    _assert_all_gone(_pids(tmp_path))


def test_tensor_parallel_mlp_equals_the_unsplit_one():
    results = D.launch("tensor_parallel", nproc=2, timeout=240)
    for r in results:
        assert r["output_diff"] < 1e-12
        assert max(r["grad_diffs"].values()) < 1e-12
        assert r["weight_numel_local"] < r["weight_numel_full"]
