"""The grid of golden cases, shared by every framework recorder.

A case is plain JSON-able data: the real API's constructor keyword arguments (framework spelling),
the initial parameters (named, float32), how gradients are produced, an optional per-step
learning-rate schedule and the number of steps. The recorders run it on the real framework; the
tests in ``tests/compat`` read the recorded JSON only, so they never import this module.

Gradient kinds
--------------
``quadratic``: loss = sum(c * w**2) per parameter, so grad = 2 * c * w (depends on the trajectory).
``sequence``: fixed per-step gradients, chosen to contain sign flips and zeros (for Rprop).
"""

from __future__ import annotations

STEPS = 6

# Two parameters so that group/name-dependent behaviour (MindSpore's beta/gamma rule) shows.
PARAMS = {"dense.weight": [1.0, -2.0, 3.0, -0.5], "bn.gamma": [0.5, 1.5, -1.0, 2.0]}
QUADRATIC = {"kind": "quadratic", "c": {"dense.weight": [1.0, 0.5, 2.0, 4.0],
                                        "bn.gamma": [0.25, 1.0, 3.0, 0.5]}}

# Per-step gradients with sign flips (+,-), zeros (sign product 0) and steady signs.
SIGN_FLIPS = {
    "kind": "sequence",
    "per_step": [
        {"dense.weight": [1.0, -1.0, 0.5, 0.0], "bn.gamma": [2.0, 0.3, -1.0, 1.0]},
        {"dense.weight": [1.0, 1.0, -0.5, 0.0], "bn.gamma": [2.0, -0.3, -1.0, 1.0]},
        {"dense.weight": [-1.0, 1.0, -0.5, 2.0], "bn.gamma": [2.0, 0.3, 1.0, 0.0]},
        {"dense.weight": [1.0, 0.0, 0.5, -2.0], "bn.gamma": [-2.0, 0.3, 1.0, 1.0]},
        {"dense.weight": [1.0, -1.0, 0.5, 1.0], "bn.gamma": [-2.0, 0.3, -1.0, 1.0]},
        {"dense.weight": [1.0, -1.0, 0.5, 1.0], "bn.gamma": [2.0, 0.3, -1.0, 1.0]},
    ],
}

# Varying, non-monotone: exposes lr inside vs outside the momentum buffer.
LR_SCHEDULE = [0.1, 0.05, 0.02, 0.2, 0.01, 0.1]


def case(kwargs: dict, *, grad: dict | None = None, lr_schedule: list | None = None,
         params: dict | None = None, steps: int = STEPS, **extra) -> dict:
    """One case: constructor kwargs plus the problem; ``extra`` holds API-specific call details."""
    return {
        "kwargs": kwargs,
        "params": params or PARAMS,
        "grad": grad or QUADRATIC,
        "lr_schedule": lr_schedule,
        "steps": steps,
        **extra,
    }


def rmsprop_grid(lr: str, decay: str, eps: str, *, momentum: str | None = "momentum",
                 momentum_off=0.0, centered: str | None = "centered",
                 weight_decay: str | None = None, lr_value=0.01) -> dict[str, dict]:
    """The common RMSprop grid, spelled with one framework's argument names.

    Unsupported features are left out by passing ``None`` for their name.
    """
    base = {lr: lr_value, decay: 0.9, eps: 1e-7}
    grid = {
        "eps_small": case(dict(base)),
        "eps_large": case({**base, eps: 0.1}),
    }
    if momentum:
        grid["momentum"] = case({**base, momentum: 0.9})
        grid["momentum_eps_large"] = case({**base, momentum: 0.5, eps: 0.1})
    if centered:
        grid["centered"] = case({**base, centered: True})
        grid["centered_eps_large"] = case({**base, centered: True, eps: 0.1})
    if centered and momentum:
        grid["centered_momentum"] = case({**base, centered: True, momentum: 0.9})
    if weight_decay:
        grid["weight_decay"] = case({**base, weight_decay: 0.1})
        if momentum:
            grid["weight_decay_momentum"] = case({**base, weight_decay: 0.1, momentum: 0.9})
    lr_base = {**base, lr: LR_SCHEDULE[0]}
    if momentum:
        grid["lr_schedule_momentum"] = case({**lr_base, momentum: 0.9}, lr_schedule=LR_SCHEDULE)
    grid["lr_schedule"] = case(dict(lr_base), lr_schedule=LR_SCHEDULE)
    return grid


def rprop_grid(lr: str, make_kwargs=None) -> dict[str, dict]:
    """The common Rprop grid: sign flips with a small lr, and a first-step clamp (lr > max 50)."""
    make_kwargs = make_kwargs or (lambda kw: kw)
    return {
        "sign_flips": case(make_kwargs({lr: 0.1}), grad=SIGN_FLIPS),
        "first_step_clamp": case(make_kwargs({lr: 60.0}), grad=SIGN_FLIPS),
        "quadratic": case(make_kwargs({lr: 0.5}), steps=8),
    }
