"""optbridge.compat.optax against goldens recorded from optax 0.2.8 (jax 0.10.2, CPU)."""

from __future__ import annotations

import pytest
import torch
from compat_goldens import (
    assert_trajectory,
    cases,
    decode,
    gradient,
    initial_params,
    load,
)

from optbridge.compat import optax


def run(factory, case):
    kwargs = decode(case["kwargs"])
    if case["lr_schedule"] is not None:
        lrs = case["lr_schedule"]
        kwargs["learning_rate"] = lambda count: lrs[count]
    tx = factory(**kwargs)
    params = initial_params(case)
    state = tx.init(params)
    trajectory, updates_seen = [], []
    for step in range(case["steps"]):
        grads = {n: gradient(case, step, n, p) for n, p in params.items()}
        before = {n: p.clone() for n, p in params.items()}
        updates, state = tx.update(grads, state, params)
        assert all(torch.equal(before[n], params[n]) for n in params), "update mutated params"
        params = optax.apply_updates(params, updates)
        trajectory.append(params)
        updates_seen.append(updates)
    return trajectory, updates_seen


@pytest.mark.parametrize(("name", "case"), cases("optax.rmsprop"))
def test_rmsprop_matches_golden(name, case):
    trajectory, _ = run(optax.rmsprop, case)
    assert_trajectory(trajectory, case, f"optax.rmsprop[{name}]")


@pytest.mark.parametrize(("name", "case"), cases("optax.rprop"))
def test_rprop_matches_golden_including_the_stale_update(name, case):
    trajectory, updates = run(optax.rprop, case)
    assert_trajectory(trajectory, case, f"optax.rprop[{name}]")
    assert all(torch.equal(u, torch.zeros_like(u)) for u in updates[0].values())


@pytest.mark.parametrize(("name", "case"), [
    p for p in cases("optax.rprop") if p.values[1]["grad"]["kind"] == "sequence"])
def test_fixed_rprop_is_the_stale_one_shifted_by_a_step(name, case):
    """optax's update at step k+1 is the corrected update of step k, zeroed where the sign
    flips at k+1 (gradients independent of the params: the sequence cases)."""
    _, stale = run(optax.rprop, case)
    _, fixed = run(lambda **kw: optax.rprop(**kw, fix_stale_update=True), case)
    compared = 0
    for k in range(len(stale) - 1):
        for n in stale[k]:
            late = stale[k + 1][n]
            torch.testing.assert_close(torch.where(late != 0, fixed[k][n], 0.0), late,
                                       rtol=0, atol=0)
            compared += int((late != 0).sum())
    assert compared > 0


def test_no_validation_like_optax():
    for probe in load("optax.rmsprop")["probes"] + load("optax.rprop")["probes"]:
        assert probe["exception"] is None
    optax.rmsprop(learning_rate=-1.0, decay=1.5, eps=-1.0)
    optax.rprop(learning_rate=-1.0, eta_minus=2.0)


def test_state_has_optax_structure():
    params = {"a": torch.ones(2), "b": [torch.ones(3)]}
    tx = optax.rmsprop(lambda count: 0.1, momentum=0.9, centered=True, bias_correction=True)
    rms, sched, trace = tx.init(params)
    assert type(rms).__name__ == "ScaleByRStdDevWithCountState"
    assert type(sched).__name__ == "ScaleByScheduleState"
    assert set(trace.trace) == {"a", "b"}
    updates, (rms, sched, trace) = tx.update(params, (rms, sched, trace))
    assert int(rms.count) == 1 and int(sched.count) == 1
    assert isinstance(updates["b"], list) and updates["b"][0].shape == (3,)


def test_bad_pytree_leaf_is_named():
    with pytest.raises(TypeError, match=r"rmsprop: params\['w'\] is a float"):
        optax.rmsprop(0.1).init({"w": 1.0})
