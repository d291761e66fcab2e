"""DDP and ZeroRedundancyOptimizer with the fused optimizers: 2 gloo ranks on loopback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from _launch import needs_gloo, run_ranks

WORKER = Path(__file__).with_name("_dist_worker.py")


def worker_module():
    sys.path.insert(0, str(WORKER.parent))
    try:
        import _dist_worker
    finally:
        sys.path.remove(str(WORKER.parent))
    return _dist_worker


@pytest.fixture(scope="module")
def rank_results(tmp_path_factory):
    """Both ranks, all configs, launched once for the module."""
    return run_ranks(WORKER, tmp_path_factory.mktemp("ranks"))


def result_of(rank_results, key: str) -> list[dict]:
    per_rank = [r[key] for r in rank_results]
    for rank, result in enumerate(per_rank):
        assert not isinstance(result, str), f"{key} raised on rank {rank}: {result}"
    return per_rank


@needs_gloo
@pytest.mark.parametrize("mode", ["ddp", "zero"])
@pytest.mark.parametrize("optimizer", ["rmsprop", "rprop"])
def test_two_ranks_match_single_process(rank_results, mode, optimizer):
    expected = worker_module().single_process(optimizer)
    ranks = [r["params"] for r in result_of(rank_results, f"{mode}-{optimizer}-fused")]
    for rank, params in enumerate(ranks):
        assert len(params) == len(expected)
        for got, want in zip(params, expected):
            # float64; the only difference is the order of the gradient all-reduce sum
            torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12, msg=f"rank {rank}")
    for got, want in zip(ranks[0], ranks[1]):
        assert torch.equal(got, want)  # ranks agree exactly
    initial = [p.detach() for p in worker_module().make_model_and_data()[0].parameters()]
    assert any(not torch.equal(a, b) for a, b in zip(expected, initial))  # it trained


# float64. Rprop is bit-identical to torch; RMSprop's square root may differ by one ulp.
TOL = {"rmsprop": {"rtol": 1e-12, "atol": 1e-14}, "rprop": {"rtol": 0.0, "atol": 0.0}}


@needs_gloo
@pytest.mark.parametrize("mode", ["ddp", "zero"])
@pytest.mark.parametrize("optimizer", ["rmsprop", "rprop"])
def test_two_ranks_match_torch_optim_under_the_same_wrapping(rank_results, mode, optimizer):
    theirs = result_of(rank_results, f"{mode}-{optimizer}-torch")
    ours = result_of(rank_results, f"{mode}-{optimizer}-fused")
    for rank, (a, b) in enumerate(zip(ours, theirs)):
        for i, (got, want) in enumerate(zip(a["params"], b["params"], strict=True)):
            torch.testing.assert_close(got, want, **TOL[optimizer],
                                       msg=lambda m, i=i, r=rank: f"rank {r}, param {i}: {m}")
    if mode == "zero":  # the consolidated state (on rank 0) matches torch's, key for key
        got, want = ours[0]["state"], theirs[0]["state"]
        assert got.keys() == want.keys()
        for index, state in want.items():
            assert got[index].keys() == state.keys(), f"state of param {index}"
            for key, value in state.items():
                torch.testing.assert_close(got[index][key], value, **TOL[optimizer],
                                           msg=f"state[{index}][{key!r}]")


@needs_gloo
@pytest.mark.parametrize("saver,loader", [("torch", "fused"), ("fused", "torch")])
@pytest.mark.parametrize("optimizer", ["rmsprop", "rprop"])
def test_zero_state_dict_round_trip_with_torch(rank_results, optimizer, saver, loader):
    """A ZeRO state dict consolidated from one implementation and loaded into the other
    continues exactly like torch.optim without the interruption."""
    uninterrupted = result_of(rank_results, f"zero-{optimizer}-torch")
    resumed = result_of(rank_results, f"zero-resume-{optimizer}-{saver}-to-{loader}")
    for rank, (got, want) in enumerate(zip(resumed, uninterrupted)):
        for i, (a, b) in enumerate(zip(got["params"], want["params"], strict=True)):
            torch.testing.assert_close(a, b, **TOL[optimizer],
                                       msg=lambda m, i=i, r=rank: f"rank {r}, param {i}: {m}")
