"""Launch a worker script as N gloo ranks on loopback; never leave a rank behind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

needs_gloo = pytest.mark.skipif(not dist.is_available() or not dist.is_gloo_available(),
                                reason="torch.distributed with gloo is not available")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(worker: Path, tmp_path: Path, world: int = 2, timeout_s: int = 90) -> list[dict]:
    """Run ``worker RANK WORLD PORT OUT TMPDIR`` for every rank; return each rank's results
    (what it saved to OUT with torch.save). A rank that fails or hangs fails the test with
    every rank's output."""
    port = free_port()
    env = {**os.environ, "GLOO_SOCKET_IFNAME": "lo", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(worker.parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    outs = [tmp_path / f"rank{r}.pt" for r in range(world)]
    procs = [
        subprocess.Popen([sys.executable, str(worker), str(r), str(world), str(port),
                          str(outs[r]), str(tmp_path)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
        for r in range(world)
    ]
    logs = []
    try:
        for proc in procs:
            logs.append(proc.communicate(timeout=timeout_s)[0])
    except subprocess.TimeoutExpired:
        pytest.fail(f"the gloo ranks of {worker.name} did not finish within {timeout_s}s")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for rank, (proc, log) in enumerate(zip(procs, logs)):
        assert proc.returncode == 0, f"rank {rank} of {worker.name} failed:\n{log}"
    return [torch.load(out, weights_only=True) for out in outs]
