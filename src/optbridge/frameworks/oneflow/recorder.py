"""Derive OneFlow ``oneflow.optim.RMSprop`` goldens from its source (OneFlow cannot be installed
here: PyPI has only a placeholder). Runs in any interpreter with numpy.

Source followed (Oneflow-Inc/oneflow): ``python/oneflow/nn/optimizer/rmsprop.py`` (signature,
``assert`` validation, ``l2=weight_decay`` passed to the kernel) and
``oneflow/user/kernels/model_update_kernel_util.h`` ``RmsPropUpdateFunctor``::

    g  = grad * scale + l1 * sign(w) + l2 * w          # scale 1, l1 0, l2 = weight_decay
    ms = (1 - decay_rate) * g * g + decay_rate * ms
    mg = (1 - decay_rate) * g + decay_rate * mg         # centered only
    w  = w - lr * g * rsqrt(ms [- mg * mg] + epsilon)
"""

from __future__ import annotations

import numpy as np

from optbridge.frameworks.recording.cases import case, rmsprop_grid
from optbridge.frameworks.recording.common import as_floats, document, encode, gradient

F32 = np.float32
SIGNATURE = [
    {"name": "params", "kind": "POSITIONAL_OR_KEYWORD", "default": "<required>"},
    {"name": "lr", "kind": "POSITIONAL_OR_KEYWORD", "default": 0.001},
    {"name": "alpha", "kind": "POSITIONAL_OR_KEYWORD", "default": 0.99},
    {"name": "eps", "kind": "POSITIONAL_OR_KEYWORD", "default": 1e-08},
    {"name": "weight_decay", "kind": "POSITIONAL_OR_KEYWORD", "default": 0},
    {"name": "momentum", "kind": "POSITIONAL_OR_KEYWORD", "default": 0.0},
    {"name": "centered", "kind": "POSITIONAL_OR_KEYWORD", "default": False},
    {"name": "contiguous_params", "kind": "POSITIONAL_OR_KEYWORD", "default": False},
]


def kernel_step(w, g, ms, mg, *, lr, alpha, eps, weight_decay, centered):
    """``RmsPropUpdateFunctor`` in float32, operation by operation."""
    one_minus = F32(1) - F32(alpha)
    g = g * F32(1) + F32(weight_decay) * w
    ms = one_minus * g * g + F32(alpha) * ms
    if centered:
        mg = one_minus * g + F32(alpha) * mg
        denom = ms - mg * mg
    else:
        denom = ms
    w = w - F32(lr) * g * (F32(1) / np.sqrt(denom + F32(eps)))
    return w.astype(F32), ms.astype(F32), mg.astype(F32)


def run(c: dict) -> dict:
    opts = {"lr": 0.001, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "centered": False}
    opts.update({k: v for k, v in c["kwargs"].items() if k in opts})
    params = {n: np.asarray(v, F32) for n, v in c["params"].items()}
    ms = {n: np.zeros_like(v) for n, v in params.items()}
    mg = {n: np.zeros_like(v) for n, v in params.items()}
    traj = []
    for step in range(c["steps"]):
        if c["lr_schedule"] is not None:
            opts["lr"] = c["lr_schedule"][step]
        for n, value in list(params.items()):
            g = gradient(c["grad"], step, n, value)
            params[n], ms[n], mg[n] = kernel_step(value, g, ms[n], mg[n], **opts)
        traj.append({n: as_floats(v) for n, v in params.items()})
    return {**c, "trajectory": traj}


def record() -> dict[str, dict]:
    grid = rmsprop_grid("lr", "alpha", "eps", momentum=None, weight_decay="weight_decay")
    grid["defaults"] = case({})
    grid["contiguous_params"] = case({"lr": 0.01, "alpha": 0.9, "eps": 1e-7,
                                      "contiguous_params": True})
    probes = [  # from the ``assert`` statements in the constructor
        {"label": label, "kwargs": encode(kwargs), "exception": "AssertionError", "message": msg}
        for label, kwargs, msg in [
            ("negative lr", {"lr": -0.1}, "Invalid learning rate: -0.1"),
            ("negative alpha", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
            ("negative eps", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
            ("negative weight decay", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
            ("momentum > 0", {"momentum": 0.9}, "Not support momentum greater than zeros now!"),
            ("negative momentum", {"momentum": -0.1},
             "Not support momentum greater than zeros now!"),
        ]
    ] + [{"label": "alpha > 1 accepted", "kwargs": {"alpha": 1.5}, "exception": None,
          "message": ""}]
    return {
        "oneflow.optim.RMSprop": document(
            "oneflow", "source (master, python/oneflow/nn/optimizer/rmsprop.py)",
            "oneflow.optim.RMSprop", cases={n: run(c) for n, c in grid.items()},
            signature=SIGNATURE, probes=probes, derived=True,
            notes=[("derived from OneFlow's source formula with numpy float32, not recorded "
                   "from the real package (it cannot be installed here)"),
                   ("docstring says lr default 1e-2 and Nesterov momentum; the code has "
                   "lr=0.001 and asserts momentum == 0")]),
    }
