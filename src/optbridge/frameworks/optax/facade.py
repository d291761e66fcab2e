"""optax 0.2.8 ``rmsprop`` and ``rprop`` as gradient transformations over pytrees of torch
tensors (dicts, lists, tuples, NamedTuples), on the shared engine.

Usage is optax's::

    tx = rmsprop(learning_rate=1e-3)
    state = tx.init(params)
    updates, state = tx.update(grads, state, params)
    params = apply_updates(params, updates)

``update`` is functional: it never modifies its inputs and returns new tensors. As in optax,
a dict's leaves are paired by key (its sorted keys), and ``updates`` must have the structure
of the params given to ``init``: a missing or extra key, another container or length, or a
leaf of another shape raises ``ValueError`` naming the place (``updates['b']``) and the state
tree it differs from. (JAX broadcasts leaves of broadcastable shapes there; each state leaf
belongs to one param here, so any other shape is refused.)
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
