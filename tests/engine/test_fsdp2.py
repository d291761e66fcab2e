"""FSDP2 (``fully_shard``, params are DTensors) with the fused optimizers: 2 gloo ranks.

Parity with torch.optim.RMSprop/Rprop under the same wrapping, and a state dict round trip
through ``torch.distributed.checkpoint`` (ours to ours, torch to ours, ours to torch) that
continues exactly like an uninterrupted torch run. torch 2.13's own Rprop cannot step DTensors,
so Rprop's reference is torch.optim.Rprop stepping each rank's local shards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from _launch import needs_gloo, run_ranks

WORKER = Path(__file__).with_name("_fsdp2_worker.py")
# float64. Rprop is bit-identical to torch; RMSprop's square root may differ by one ulp, and
# a checkpoint round trip is exact.
TOL = {"rmsprop": {"rtol": 1e-12, "atol": 1e-14}, "rprop": {"rtol": 0.0, "atol": 0.0}}

pytestmark = needs_gloo


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory):
    """Both ranks, every config, launched once for the module."""
    return run_ranks(WORKER, tmp_path_factory.mktemp("fsdp2"), timeout_s=120)


def result_of(rank_results, key: str) -> list[dict]:
    per_rank = [r[key] for r in rank_results]
    for rank, result in enumerate(per_rank):
        assert not isinstance(result, str), f"{key} raised on rank {rank}: {result}"
    return per_rank


def assert_matches(got: dict, want: dict, tol: dict, what: str) -> None:
    for i, (a, b) in enumerate(zip(got["params"], want["params"], strict=True)):
        torch.testing.assert_close(a, b, **tol, msg=lambda m, i=i: f"{what}, param {i}: {m}")
    assert got["state"].keys() == want["state"].keys(), what
    for name, state in want["state"].items():
        assert got["state"][name].keys() == state.keys(), f"{what}: state of {name}"
        for key, value in state.items():
            torch.testing.assert_close(got["state"][name][key], value, **tol,
                                       msg=lambda m, n=name, k=key: f"{what}: {n}[{k!r}]: {m}")


def test_torch_rprop_cannot_step_dtensors(rank_results):
    """Why Rprop's reference steps the local shards: torch 2.13's own Rprop fails on DTensors
    (its for-loop masks the grad with ``index_put_``, which has no sharding strategy)."""
    for rank, result in enumerate(r["plain-rprop-torch"] for r in rank_results):
        assert isinstance(result, str), f"torch.optim.Rprop stepped DTensors on rank {rank}"
        assert result.startswith("RuntimeError: aten.index_put_.default"), result


def test_local_shard_reference_is_torch_on_dtensors(rank_results):
    """torch.optim.RMSprop on the DTensors and on their local shards agree exactly: the local
    reference (the only one torch's Rprop allows) is a faithful one."""
    on_dtensors = result_of(rank_results, "plain-rmsprop-torch")
    on_shards = result_of(rank_results, "plain-rmsprop-torch-local")
    for rank, (got, want) in enumerate(zip(on_shards, on_dtensors)):
        assert_matches(got, want, {"rtol": 0.0, "atol": 0.0}, f"rank {rank}")
    initial = result_of(rank_results, "initial")
    assert not torch.equal(on_dtensors[0]["params"][0], initial[0]["params"][0])  # it trained


@pytest.mark.parametrize("optimizer", ["rmsprop", "rprop"])
def test_fully_shard_matches_torch_optim(rank_results, optimizer):
    reference = "torch" if optimizer == "rmsprop" else "torch-local"
    theirs = result_of(rank_results, f"plain-{optimizer}-{reference}")
    ours = result_of(rank_results, f"plain-{optimizer}-fused")
    for rank, (got, want) in enumerate(zip(ours, theirs)):
        assert_matches(got, want, TOL[optimizer], f"{optimizer} rank {rank}")
    # the state is sharded like the params, as torch.optim's is: DTensors (step aside)
    torch_types = dict(result_of(rank_results, "plain-rmsprop-torch")[0]["state_types"])
    for key, kind in ours[0]["state_types"]:
        assert kind == torch_types["step"] if key == "step" else kind == "DTensor", (key, kind)


CHECKPOINTS = [("rmsprop", "torch", "torch"), ("rmsprop", "fused", "fused"),
               ("rmsprop", "torch", "fused"), ("rmsprop", "fused", "torch"),
               ("rprop", "fused", "fused")]


@pytest.mark.parametrize("optimizer,saver,loader", CHECKPOINTS)
def test_distributed_checkpoint_round_trip_continues_like_torch(rank_results, optimizer,
                                                                 saver, loader):
    """Save after 3 steps, load into a fresh model and optimizer, 3 more: as 6 uninterrupted
    steps of torch.optim."""
    reference = "torch" if optimizer == "rmsprop" else "torch-local"
    uninterrupted = result_of(rank_results, f"plain-{optimizer}-{reference}")
    resumed = result_of(rank_results, f"dcp-{optimizer}-{saver}-to-{loader}")
    for rank, (got, want) in enumerate(zip(resumed, uninterrupted)):
        assert_matches(got, want, TOL[optimizer],
                       f"{optimizer} saved by {saver}, loaded by {loader}, rank {rank}")
