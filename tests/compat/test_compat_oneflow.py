"""optbridge.compat.oneflow against goldens DERIVED FROM ONEFLOW'S SOURCE (not recorded from
the real package, which cannot be installed here; see optbridge/frameworks/oneflow/recorder.py)."""

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
    load,
    probe_params,
)

from optbridge.compat.oneflow import RMSprop

API = "oneflow.optim.RMSprop"


def test_goldens_are_marked_as_derived():
    doc = load(API)
    assert doc["derived_from_source"] is True
    assert doc["framework_version"].startswith("source")


@pytest.mark.parametrize(("name", "case"), cases(API))
def test_matches_source_derived_golden(name, case):
    params = initial_params(case)
    for p in params.values():
        p.requires_grad_(True)
    opt = RMSprop(list(params.values()), **decode(case["kwargs"]))
    trajectory = []
    for step in range(case["steps"]):
        if case["lr_schedule"] is not None:
            for group in opt.param_groups:
                group["lr"] = case["lr_schedule"][step]
        for n, p in params.items():
            p.grad = gradient(case, step, n, p.detach())
        opt.step()
        opt.zero_grad()
        trajectory.append({n: p.detach().clone() for n, p in params.items()})
    assert_trajectory(trajectory, case, f"oneflow[{name}]")


@pytest.mark.parametrize("probe", probe_params(API))
def test_validation_matches_source(probe):
    assert_probe(lambda **kw: RMSprop([torch.zeros(2, requires_grad=True)], **kw), probe)
