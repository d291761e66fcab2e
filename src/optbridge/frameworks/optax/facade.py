"""optax 0.2.8 ``rmsprop`` and ``rprop`` as gradient transformations over pytrees of torch
tensors (dicts, lists, tuples, NamedTuples), on the shared engine.

Usage is optax's::

    tx = rmsprop(learning_rate=1e-3)
    state = tx.init(params)
    updates, state = tx.update(grads, state, params)
    params = apply_updates(params, updates)

``update`` is functional: it never modifies its inputs and returns new tensors.
"""

from optbridge.frameworks.optax.rmsprop import (
    ScaleByRmsState,
    ScaleByRmsWithCountState,
    ScaleByRStdDevState,
    ScaleByRStdDevWithCountState,
    ScaleByScheduleState,
    TraceState,
    rmsprop,
)
from optbridge.frameworks.optax.rprop import ScaleByRpropState, optax_rprop_, rprop
from optbridge.frameworks.optax.transform import (
    EmptyState,
    GradientTransformation,
    add_decayed_weights,
    apply_updates,
    chain,
)

__all__ = [
    "EmptyState",
    "GradientTransformation",
    "ScaleByRStdDevState",
    "ScaleByRStdDevWithCountState",
    "ScaleByRmsState",
    "ScaleByRmsWithCountState",
    "ScaleByRpropState",
    "ScaleByScheduleState",
    "TraceState",
    "add_decayed_weights",
    "apply_updates",
    "chain",
    "optax_rprop_",
    "rmsprop",
    "rprop",
]
