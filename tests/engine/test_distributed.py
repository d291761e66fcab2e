"""DDP and ZeroRedundancyOptimizer with the fused optimizers: 2 gloo ranks on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

WORKER = Path(__file__).with_name("_dist_worker.py")
TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(tmp_path: Path, world: int = 2) -> list[dict[str, list[torch.Tensor]]]:
    port = free_port()
    env = {**os.environ, "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(WORKER.parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    outs = [tmp_path / f"rank{r}.pt" for r in range(world)]
    procs = [
        subprocess.Popen([sys.executable, str(WORKER), str(r), str(world), str(port),
                          str(outs[r])], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for r in range(world)
    ]
    logs = []
    try:
        for proc in procs:
            logs.append(proc.communicate(timeout=TIMEOUT_S)[0])
    except subprocess.TimeoutExpired:
        pytest.fail(f"the gloo ranks did not finish within {TIMEOUT_S}s")
    finally:
        for proc in procs:  # never leave a rank behind, whatever happened
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, log in zip(procs, logs):
        assert proc.returncode == 0, log
    return [torch.load(out, weights_only=True) for out in outs]


needs_gloo = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory):
    """Both ranks, all configs, launched once for the module."""
    return run_ranks(tmp_path_factory.mktemp("ranks"))


@needs_gloo
@pytest.mark.parametrize("mode", ["ddp", "zero"])
@pytest.mark.parametrize("optimizer", ["rmsprop", "rprop"])
def test_two_ranks_match_single_process(rank_results, mode, optimizer):
    sys.path.insert(0, str(WORKER.parent))
    try:
        from _dist_worker import single_process
    finally:
        sys.path.remove(str(WORKER.parent))
    expected = single_process(optimizer)
    ranks = [r[f"{mode}-{optimizer}"] for r in rank_results]
    for rank, params in enumerate(ranks):
        assert len(params) == len(expected)
        for got, want in zip(params, expected):
            # float64; the only difference is the order of the gradient all-reduce sum
            torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12, msg=f"rank {rank}")
    for got, want in zip(ranks[0], ranks[1]):
        assert torch.equal(got, want)  # ranks agree exactly
    initial = _initial_params()
    assert any(not torch.equal(a, b) for a, b in zip(expected, initial))  # it trained


def _initial_params() -> list[torch.Tensor]:
    sys.path.insert(0, str(WORKER.parent))
    try:
        from _dist_worker import make_model_and_data
    finally:
        sys.path.remove(str(WORKER.parent))
    return [p.detach() for p in make_model_and_data()[0].parameters()]
