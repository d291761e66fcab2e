"""optbridge.compat.paddle against goldens recorded from paddlepaddle 3.3.1 (CPU)."""

from __future__ import annotations

import pytest
import torch
from compat_goldens import (
    assert_probe,
    assert_trajectory,
    cases,
    decode,
    gradient,
    initial_params,
    probe_params,
)

from optbridge.compat.paddle import RMSProp, Rprop


def run(cls, case):
    params = initial_params(case)
    for p in params.values():
        p.requires_grad_(True)
    opt = cls(parameters=list(params.values()), **decode(case["kwargs"]))
    trajectory = []
    for step in range(case["steps"]):
        if case["lr_schedule"] is not None:
            opt.set_lr(float(case["lr_schedule"][step]))
        fixed = {n: gradient(case, step, n, p.detach()) for n, p in params.items()}
        # as the recorder: d/dw sum(w * g) == g exactly, through real autograd
        sum((p * fixed[n]).sum() for n, p in params.items()).backward()
        opt.step()
        opt.clear_grad()
        trajectory.append({n: p.detach().clone() for n, p in params.items()})
    return trajectory


@pytest.mark.parametrize(("name", "case"), cases("paddle.optimizer.RMSProp"))
def test_rmsprop_matches_golden(name, case):
    assert_trajectory(run(RMSProp, case), case, f"paddle.RMSProp[{name}]")


@pytest.mark.parametrize(("name", "case"), cases("paddle.optimizer.Rprop"))
def test_rprop_matches_golden(name, case):
    assert_trajectory(run(Rprop, case), case, f"paddle.Rprop[{name}]")


@pytest.mark.parametrize("probe", probe_params("paddle.optimizer.RMSProp"))
def test_rmsprop_validation_matches_real_api(probe):
    def make(**kw):
        if probe["label"] == "parameters None":
            return RMSProp(**kw)
        return RMSProp(parameters=[torch.zeros(2, requires_grad=True)], **kw)

    assert_probe(make, probe)


@pytest.mark.parametrize("probe", probe_params("paddle.optimizer.Rprop"))
def test_rprop_validation_matches_real_api(probe):
    assert_probe(lambda **kw: Rprop(parameters=[torch.zeros(2, requires_grad=True)], **kw),
                 probe)


def test_get_and_set_lr():
    opt = RMSProp(learning_rate=0.1, parameters=[torch.zeros(2, requires_grad=True)])
    opt.set_lr(0.05)
    assert opt.get_lr() == 0.05
