"""Record optax ``rmsprop`` and ``rprop`` (run inside build/goldens-envs/optax)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from optbridge.frameworks.recording.cases import SIGN_FLIPS, case, rmsprop_grid, rprop_grid
from optbridge.frameworks.recording.common import as_floats, document, gradient, probe, signature_of

jax.config.update("jax_platforms", "cpu")


def run(factory, c: dict) -> dict:
    kwargs = dict(c["kwargs"])
    if c["lr_schedule"] is not None:
        lrs = jnp.asarray(c["lr_schedule"], dtype=jnp.float32)
        kwargs["learning_rate"] = lambda count: lrs[count]
    tx = factory(**kwargs)
    params = {k: jnp.asarray(v, dtype=jnp.float32) for k, v in c["params"].items()}
    state = tx.init(params)
    traj, updates_traj = [], []
    for step in range(c["steps"]):
        grads = {k: jnp.asarray(gradient(c["grad"], step, k, np.asarray(v)))
                 for k, v in params.items()}
        updates, state = tx.update(grads, state, params)
        params = optax.apply_updates(params, updates)
        traj.append({k: as_floats(v) for k, v in params.items()})
        updates_traj.append({k: as_floats(v) for k, v in updates.items()})
    return {**c, "trajectory": traj, "updates": updates_traj}


def rmsprop_cases() -> dict:
    grid = rmsprop_grid("learning_rate", "decay", "eps")
    base = {"learning_rate": 0.01, "decay": 0.9, "eps": 1e-7}
    grid.update({
        "defaults": case({"learning_rate": 0.01}),
        "initial_scale_one": case({**base, "initial_scale": 1.0}),
        "eps_outside_sqrt": case({**base, "eps_in_sqrt": False}),
        "eps_outside_sqrt_large": case({**base, "eps_in_sqrt": False, "eps": 0.1}),
        "nesterov": case({**base, "momentum": 0.9, "nesterov": True}),
        "bias_correction": case({**base, "bias_correction": True}),
        "bias_correction_centered": case({**base, "bias_correction": True, "centered": True}),
    })
    return grid


def rprop_cases() -> dict:
    grid = rprop_grid("learning_rate")
    grid["custom_bounds"] = case({"learning_rate": 0.1, "eta_minus": 0.3, "eta_plus": 1.5,
                                  "min_step_size": 0.02, "max_step_size": 0.25}, grad=SIGN_FLIPS)
    return grid


def record() -> dict[str, dict]:
    version = optax.__version__
    notes_rprop = [
        ("optax 0.2.8 scale_by_rprop returns the previous step's update: the first update is 0 "
        "and every later one is a step late (upstream bug, optax PR #1725)."),
        "the step size is not clamped when the sign product is 0 (PyTorch clamps every step).",
    ]
    rms = {name: run(optax.rmsprop, c) for name, c in rmsprop_cases().items()}
    rp = {name: run(optax.rprop, c) for name, c in rprop_cases().items()}
    rms_probes = [
        probe(optax.rmsprop, {"learning_rate": -1.0}, label="negative lr accepted"),
        probe(optax.rmsprop, {"learning_rate": 0.1, "decay": 1.5}, label="decay > 1 accepted"),
        probe(optax.rmsprop, {"learning_rate": 0.1, "eps": -1.0}, label="negative eps accepted"),
    ]
    rp_probes = [
        probe(optax.rprop, {"learning_rate": -1.0}, label="negative lr accepted"),
        probe(optax.rprop, {"learning_rate": 0.1, "eta_minus": 2.0}, label="eta_minus > 1"),
    ]
    extra = {"jax_version": jax.__version__}
    return {
        "optax.rmsprop": document("optax", version, "optax.rmsprop", cases=rms,
                                  signature=signature_of(optax.rmsprop), probes=rms_probes,
                                  extra=extra),
        "optax.rprop": document("optax", version, "optax.rprop", cases=rp,
                                signature=signature_of(optax.rprop), probes=rp_probes,
                                notes=notes_rprop, extra=extra),
    }
