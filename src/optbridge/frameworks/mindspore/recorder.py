"""Record ``mindspore.nn.RMSProp`` and ``mindspore.nn.Rprop`` (run inside
build/goldens-envs/mindspore)."""

from __future__ import annotations

import mindspore as ms
import numpy as np
from mindspore import Parameter, Tensor, nn

from optbridge.frameworks.recording.cases import (
    LR_SCHEDULE,
    PARAMS,
    QUADRATIC,
    SIGN_FLIPS,
    case,
    rmsprop_grid,
    rprop_grid,
)
from optbridge.frameworks.recording.common import as_floats, document, gradient, probe, signature_of

ms.set_context(mode=ms.PYNATIVE_MODE)
ms.set_device("CPU")


def make_params(c: dict) -> dict[str, Parameter]:
    return {n: Parameter(Tensor(np.asarray(v, np.float32)), name=n) for n, v in c["params"].items()}


def build_params_arg(c: dict, params: dict[str, Parameter]):
    """The ``params`` argument: a plain list, or MindSpore group dicts naming params by key."""
    if c.get("groups") is None:
        return list(params.values())
    groups = []
    for g in c["groups"]:
        g = dict(g)
        if "params" in g:
            g["params"] = [params[n] for n in g["params"]]
        if "order_params" in g:
            g["order_params"] = [params[n] for n in g["order_params"]]
        groups.append(g)
    return groups


def run(cls, c: dict) -> dict:
    params = make_params(c)
    kwargs = dict(c["kwargs"])
    if c["lr_schedule"] is not None:
        kwargs["learning_rate"] = list(c["lr_schedule"])  # MindSpore's dynamic lr (a list)
    opt = cls(build_params_arg(c, params), **kwargs)
    order = [p.name for p in opt.parameters]  # the optimizer's order (order_params may change it)
    scale = np.float32(c.get("grad_scale", 1.0))
    traj = []
    for step in range(c["steps"]):
        grads = tuple(Tensor(gradient(c["grad"], step, n, params[n].asnumpy()) * scale)
                      for n in order)
        opt(grads)
        traj.append({n: as_floats(p.asnumpy()) for n, p in params.items()})
    return {**c, "trajectory": traj, "optimizer_param_order": order}


def run_or_error(cls, c: dict) -> dict:
    """Run a case; where the real framework cannot run it on CPU, record its error instead."""
    try:
        return run(cls, c)
    except Exception as exc:  # noqa: BLE001 - the failure is the recorded fact
        return {**c, "trajectory": None, "error": type(exc).__name__,
                "message": next(line for line in str(exc).splitlines()
                                if line.strip() and not line.startswith("-"))[:300]}


def one_param() -> list:
    return [Parameter(Tensor(np.ones(2, np.float32)), name="w")]


def rmsprop_probes() -> list[dict]:
    def make(**kw):
        return nn.RMSProp(one_param(), **kw)

    def make_groups(groups):
        return nn.RMSProp([{**g, "params": one_param()} for g in groups])

    return [
        probe(nn.RMSProp, {"params": None}, label="params None"),
        probe(nn.RMSProp, {"params": []}, label="params empty"),
        probe(make, {"decay": 0}, label="int decay"),
        probe(make, {"decay": -0.1}, label="negative decay"),
        probe(make, {"decay": 1.5}, label="decay > 1 accepted"),
        probe(make, {"momentum": 0}, label="int momentum"),
        probe(make, {"momentum": -0.1}, label="negative momentum"),
        probe(make, {"epsilon": 0.0}, label="epsilon 0"),
        probe(make, {"epsilon": 1}, label="int epsilon"),
        probe(make, {"epsilon": -1e-8}, label="negative epsilon"),
        probe(make, {"use_locking": 1}, label="int use_locking"),
        probe(make, {"centered": 1}, label="int centered"),
        probe(make, {"loss_scale": 0.0}, label="loss_scale 0"),
        probe(make, {"loss_scale": 2}, label="int loss_scale accepted"),
        probe(make, {"loss_scale": "2"}, label="str loss_scale"),
        probe(make, {"weight_decay": -0.1}, label="negative weight decay"),
        probe(make, {"weight_decay": 1}, label="int weight decay accepted"),
        probe(make, {"weight_decay": "0.1"}, label="str weight decay"),
        probe(make, {"learning_rate": -0.1}, label="negative lr"),
        probe(make, {"learning_rate": 1}, label="int lr accepted"),
        probe(make, {"learning_rate": "0.1"}, label="str lr"),
        probe(make, {"learning_rate": [0.1, 0.2]}, label="list lr (dynamic) accepted"),
        probe(make_groups, {"groups": [{"lr": 0.1, "foo": 1}]}, label="unknown group key"),
        probe(make_groups, {"groups": [{"lr": -0.1}]}, label="negative group lr"),
        probe(make_groups, {"groups": [{"weight_decay": -0.1}]}, label="negative group wd"),
        probe(make_groups, {"groups": [{"grad_centralization": 1}]}, label="int group gc"),
    ]


def rprop_probes() -> list[dict]:
    def make(**kw):
        return nn.Rprop(one_param(), **kw)

    return [
        probe(make, {"etas": [0.5, 1.2]}, label="etas as list"),
        probe(make, {"etas": (0.5, 1.2, 2.0)}, label="three etas"),
        probe(make, {"step_sizes": [1e-6, 50.0]}, label="step_sizes as list"),
        probe(make, {"step_sizes": (1e-6,)}, label="one step size"),
        probe(make, {"step_sizes": (1.0, 0.5)}, label="min > max"),
        probe(make, {"step_sizes": (1e-6, 50)}, label="int max step size"),
        probe(make, {"step_sizes": (0, 50.0)}, label="int min step size"),
        probe(make, {"etas": (1.0, 1.2)}, label="eta_minus 1"),
        probe(make, {"etas": (0.0, 1.2)}, label="eta_minus 0"),
        probe(make, {"etas": (0.5, 1.0)}, label="eta_plus 1"),
        probe(make, {"etas": (0.5, 2)}, label="int eta_plus"),
        probe(make, {"etas": (1, 1.2)}, label="int eta_minus"),
        probe(make, {"weight_decay": -0.1}, label="negative weight decay"),
        probe(make, {"learning_rate": -0.1}, label="negative lr"),
        probe(make, {"learning_rate": 60}, label="lr above max step accepted"),
    ]


def rmsprop_cases() -> dict:
    grid = rmsprop_grid("learning_rate", "decay", "epsilon", weight_decay="weight_decay")
    base = {"learning_rate": 0.01, "decay": 0.9, "epsilon": 1e-7}
    conv = {"conv.weight": (np.arange(32, dtype=np.float32).reshape(2, 16) / 8 - 2).tolist(),
            **PARAMS}
    conv_c = {"kind": "quadratic", "c": {"conv.weight": (np.ones((2, 16)) * 0.5).tolist(),
                                         **QUADRATIC["c"]}}
    grid.update({
        "defaults": case({}),
        "loss_scale": case({**base, "loss_scale": 4.0, "momentum": 0.9}, grad_scale=4.0),
        "loss_scale_weight_decay": case({**base, "loss_scale": 8.0, "weight_decay": 0.1},
                                        grad_scale=8.0),
        "groups": case({**base, "weight_decay": 0.2}, groups=[
            {"params": ["dense.weight"], "lr": 0.05, "weight_decay": 0.1},
            {"params": ["bn.gamma"]}]),
        "groups_order_params": case({**base, "momentum": 0.5}, groups=[
            {"params": ["dense.weight"], "lr": 0.05},
            {"params": ["bn.gamma"], "weight_decay": 0.1},
            {"order_params": ["bn.gamma", "dense.weight"]}]),
        "groups_dynamic_lr": case({**base, "momentum": 0.9}, lr_schedule=LR_SCHEDULE, groups=[
            {"params": ["dense.weight"], "lr": [lr / 2 for lr in LR_SCHEDULE]},
            {"params": ["bn.gamma"]}]),
        "grad_centralization": case(dict(base), params=conv, grad=conv_c, groups=[
            {"params": ["conv.weight", "dense.weight"], "grad_centralization": True},
            {"params": ["bn.gamma"]}]),
        "centered_momentum_wd": case({**base, "centered": True, "momentum": 0.9,
                                      "weight_decay": 0.05}),
    })
    return grid


def rprop_cases() -> dict:
    grid = rprop_grid("learning_rate")
    grid.update({
        "weight_decay": case({"learning_rate": 0.1, "weight_decay": 0.5}, grad=SIGN_FLIPS),
        "custom_bounds": case({"learning_rate": 0.1, "etas": (0.3, 1.5),
                               "step_sizes": (0.02, 0.25)}, grad=SIGN_FLIPS),
        "dynamic_lr": case({}, grad=SIGN_FLIPS, lr_schedule=[0.3, 0.01, 0.01, 0.01, 0.01, 0.01]),
        "defaults": case({}, grad=SIGN_FLIPS),
    })
    return grid


def record() -> dict[str, dict]:
    version = ms.__version__
    notes = [
        ("weight_decay is multiplied by loss_scale at construction, added to the (scaled) "
        "gradient, then the sum is multiplied by 1/loss_scale"),
        "without groups weight decay skips params whose name contains 'beta' or 'gamma'",
        "learning_rate as a list is a dynamic lr, indexed by the step count",
    ]
    return {
        "mindspore.nn.RMSProp": document(
            "mindspore", version, "mindspore.nn.RMSProp",
            cases={n: run_or_error(nn.RMSProp, c) for n, c in rmsprop_cases().items()},
            signature=signature_of(nn.RMSProp.__init__), probes=rmsprop_probes(), notes=notes),
        "mindspore.nn.Rprop": document(
            "mindspore", version, "mindspore.nn.Rprop",
            cases={n: run_or_error(nn.Rprop, c) for n, c in rprop_cases().items()},
            signature=signature_of(nn.Rprop.__init__), probes=rprop_probes(),
            notes=["the step size is set to the current lr on the first call"]),
    }
