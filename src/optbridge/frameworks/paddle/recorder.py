"""Record ``paddle.optimizer.RMSProp`` and ``paddle.optimizer.Rprop``
(run inside build/goldens-envs/paddle)."""

from __future__ import annotations

import numpy as np
import paddle

from optbridge.frameworks.recording.cases import SIGN_FLIPS, case, rmsprop_grid
from optbridge.frameworks.recording.common import as_floats, document, gradient, probe, signature_of

paddle.set_device("cpu")


def run(cls, c: dict) -> dict:
    names = list(c["params"])
    params = [paddle.create_parameter(
        shape=[len(c["params"][n])], dtype="float32",
        default_initializer=paddle.nn.initializer.Assign(np.asarray(c["params"][n], np.float32)))
        for n in names]
    opt = cls(parameters=params, **c["kwargs"])
    traj = []
    for step in range(c["steps"]):
        if c["lr_schedule"] is not None:
            opt.set_lr(float(c["lr_schedule"][step]))
        # d/dw sum(w * g) == g exactly, so the real autograd delivers our gradient bit for bit
        fixed = [paddle.to_tensor(gradient(c["grad"], step, n, p.numpy()))
                 for n, p in zip(names, params)]
        loss = paddle.add_n([(p * g).sum() for p, g in zip(params, fixed)])
        loss.backward()
        opt.step()
        opt.clear_grad()
        traj.append({n: as_floats(p.numpy()) for n, p in zip(names, params)})
    return {**c, "trajectory": traj}


def one_param() -> list:
    return [paddle.create_parameter(shape=[2], dtype="float32")]


def rmsprop_probes() -> list[dict]:
    def make(**kw):
        return paddle.optimizer.RMSProp(parameters=one_param(), **kw)

    return [
        probe(paddle.optimizer.RMSProp, {"learning_rate": 0.1}, label="parameters None"),
        probe(make, {"learning_rate": None}, label="lr None"),
        probe(make, {"learning_rate": 0.1, "rho": None}, label="rho None"),
        probe(make, {"learning_rate": 0.1, "epsilon": None}, label="epsilon None"),
        probe(make, {"learning_rate": 0.1, "momentum": None}, label="momentum None"),
        probe(make, {"learning_rate": 0.1, "epsilon": -1.0}, label="negative epsilon"),
        probe(make, {"learning_rate": 0.1, "momentum": -0.1}, label="negative momentum"),
        probe(make, {"learning_rate": 0.1, "rho": -0.1}, label="negative rho"),
        probe(make, {"learning_rate": 0.1, "rho": 1.5}, label="rho > 1 accepted"),
        probe(make, {"learning_rate": -0.1}, label="negative lr accepted"),
        probe(make, {"learning_rate": 1}, label="int lr"),
        probe(make, {"learning_rate": "0.1"}, label="str lr"),
        probe(make, {"learning_rate": 0.1, "epsilon": 0.0}, label="epsilon 0 accepted"),
    ]


def rprop_probes() -> list[dict]:
    def make(**kw):
        return paddle.optimizer.Rprop(parameters=one_param(), **kw)

    return [
        probe(make, {"learning_rate": None}, label="lr None"),
        probe(make, {"learning_rate": 60.0}, label="lr above range"),
        probe(make, {"learning_rate": 1e-6}, label="lr below range"),
        probe(make, {"learning_rate": 0.1, "learning_rate_range": (0.0, 1.0)},
              label="range starting at 0"),
        probe(make, {"learning_rate": 0.1, "etas": (1.0, 1.2)}, label="eta_minus 1"),
        probe(make, {"learning_rate": 0.1, "etas": (0.5, 1.0)}, label="eta_plus 1"),
        probe(make, {"learning_rate": 0.1, "etas": [0.5, 1.2]}, label="etas as list accepted"),
        probe(make, {"learning_rate": 1}, label="int lr"),
    ]


def record() -> dict[str, dict]:
    rms_grid = rmsprop_grid("learning_rate", "rho", "epsilon", weight_decay="weight_decay")
    rms_grid["defaults"] = case({"learning_rate": 0.01})
    rp_grid = {
        "sign_flips": case({"learning_rate": 0.1}, grad=SIGN_FLIPS),
        "tight_range": case({"learning_rate": 0.1, "learning_rate_range": (0.06, 0.15)},
                            grad=SIGN_FLIPS),
        "custom_etas": case({"learning_rate": 0.1, "etas": (0.3, 1.5)}, grad=SIGN_FLIPS),
        "quadratic": case({"learning_rate": 0.5}, steps=8),
        "defaults": case({}, grad=SIGN_FLIPS),
    }
    version = paddle.__version__
    return {
        "paddle.optimizer.RMSProp": document(
            "paddle", version, "paddle.optimizer.RMSProp",
            cases={n: run(paddle.optimizer.RMSProp, c) for n, c in rms_grid.items()},
            signature=signature_of(paddle.optimizer.RMSProp.__init__), probes=rmsprop_probes(),
            notes=["a float weight_decay is L2Decay: coupled, added to the gradient"]),
        "paddle.optimizer.Rprop": document(
            "paddle", version, "paddle.optimizer.Rprop",
            cases={n: run(paddle.optimizer.Rprop, c) for n, c in rp_grid.items()},
            signature=signature_of(paddle.optimizer.Rprop.__init__), probes=rprop_probes(),
            notes=["learning_rate_range is both the lr check and the step-size clamp"]),
    }
