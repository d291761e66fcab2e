"""optbridge.compat.mindspore against goldens recorded from MindSpore 2.10 (CPU)."""

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

from optbridge.compat.mindspore import RMSProp, Rprop


def params_arg(case: dict, params: dict[str, torch.Tensor]):
    if case.get("groups") is None:
        return list(params.items())
    groups = []
    for g in case["groups"]:
        g = dict(g)
        for key in ("params", "order_params"):
            if key in g:
                g[key] = [(n, params[n]) for n in g[key]]
        groups.append(g)
    return groups


def run(cls, case: dict):
    params = initial_params(case)
    kwargs = decode(case["kwargs"])
    if case["lr_schedule"] is not None:
        kwargs["learning_rate"] = list(case["lr_schedule"])
    opt = cls(params_arg(case, params), **kwargs)
    assert list(opt.param_names) == case["optimizer_param_order"]
    scale = torch.tensor(case.get("grad_scale", 1.0), dtype=torch.float32)
    trajectory = []
    for step in range(case["steps"]):
        grads = tuple(gradient(case, step, n, params[n]) * scale for n in opt.param_names)
        assert opt(grads) is True
        trajectory.append({n: p.clone() for n, p in params.items()})
    return trajectory


@pytest.mark.parametrize(("name", "case"), cases("mindspore.nn.RMSProp"))
def test_rmsprop_matches_golden(name, case):
    assert_trajectory(run(RMSProp, case), case, f"RMSProp[{name}]")


@pytest.mark.parametrize(("name", "case"), cases("mindspore.nn.Rprop"))
def test_rprop_matches_golden(name, case):
    assert_trajectory(run(Rprop, case), case, f"Rprop[{name}]")


def _one_param():
    return [("w", torch.ones(2))]


@pytest.mark.parametrize("probe", probe_params("mindspore.nn.RMSProp"))
def test_rmsprop_validation_matches_real_api(probe):
    def make(params=None, groups=None, **kwargs):
        if groups is not None:
            return RMSProp([{**g, "params": _one_param()} for g in groups])
        return RMSProp(_one_param() if "params" not in probe["kwargs"] else params, **kwargs)

    assert_probe(make, probe)


@pytest.mark.parametrize("probe", probe_params("mindspore.nn.Rprop"))
def test_rprop_validation_matches_real_api(probe):
    assert_probe(lambda **kw: Rprop(_one_param(), **kw), probe)


def test_grad_centralization_formula():
    """MindSpore's CPU backend cannot run this (no Centralization kernel, recorded in the
    golden file); check the documented formula: g - mean over axes 1.. for shape[1] % 16 == 0."""
    w = torch.zeros(2, 16)
    g = torch.arange(32, dtype=torch.float32).reshape(2, 16)
    opt = RMSProp([{"params": [("conv.weight", w)], "grad_centralization": True}],
                  learning_rate=0.1, decay=0.0, epsilon=1e-10)
    opt((g,))
    centred = g - g.mean(dim=1, keepdim=True)
    # decay 0: ms = g_c**2, so each step is -lr * g_c / |g_c|
    torch.testing.assert_close(w, -0.1 * torch.sign(centred), rtol=1e-6, atol=1e-6)
    golden_error = cases("mindspore.nn.RMSProp", runnable=False)
    errors = {p.values[0]: p.values[1].get("error") for p in golden_error}
    assert errors["grad_centralization"] == "RuntimeError"


def test_state_views_follow_mindspore_names():
    w = torch.tensor([1.0, 2.0])
    opt = RMSProp([w], learning_rate=0.1, momentum=0.5, centered=True)
    opt((torch.ones(2),))
    torch.testing.assert_close(opt.ms[0], torch.tensor([1.0, 1.0]))  # from ones: 1 + (1-1)*0.1
    assert len(opt.moment) == 1 and len(opt.mg) == 1


def test_wrong_number_of_gradients_is_a_clear_error():
    opt = RMSProp([torch.ones(2)])
    with pytest.raises(ValueError, match="1 parameters"):
        opt((torch.ones(2), torch.ones(2)))


@pytest.mark.parametrize("make", [
    lambda w: RMSProp([("dense.weight", w)], learning_rate=0.1, weight_decay=0.1, loss_scale=4.0),
    lambda w: Rprop([("dense.weight", w)], learning_rate=0.1, weight_decay=0.1),
], ids=["RMSProp", "Rprop"])
def test_step_refuses_instead_of_skipping_what_the_call_does(make):
    """torch's inherited step() would apply param.grad raw: no weight decay, loss scale,
    gradient centralization or lr schedule. It must refuse, say what to call, and change nothing."""
    w = torch.tensor([1.0, -2.0])
    opt = make(w)
    w.grad = torch.ones(2)
    with pytest.raises(TypeError, match=r"optimizer\(grads\).*weight decay, loss scale"):
        opt.step()
    torch.testing.assert_close(w, torch.tensor([1.0, -2.0]))
    assert int(opt.global_step) == 0
    opt((torch.ones(2),))  # the MindSpore way still steps
    assert int(opt.global_step) == 1 and not torch.equal(w, torch.tensor([1.0, -2.0]))
