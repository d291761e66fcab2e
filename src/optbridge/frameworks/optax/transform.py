"""optax's ``GradientTransformation`` shape and ``apply_updates``, for torch tensors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import Tensor

from optbridge.frameworks.optax._pytree import Tree, describe, flatten, sorted_keys, tree_map


class GradientTransformation(NamedTuple):
    """``init(params) -> state`` and ``update(updates, state, params=None) -> (updates,
    state)``, as optax."""

    init: Callable[[Tree], Any]
    update: Callable[..., tuple[Tree, Any]]


class EmptyState(NamedTuple):
    """State of a stateless link of the chain (optax's ``EmptyState``)."""


def apply_updates(params: Tree, updates: Tree) -> Tree:
    """``params + updates`` leaf by leaf, in each param's dtype (optax's ``apply_updates``).

    ``updates`` must have the structure and leaf shapes of ``params``: anything else raises
    ``ValueError`` naming the first difference (optax raises on a structure mismatch too).
    """
    return tree_map(lambda p, u: (p + u).to(p.dtype), params, updates,
                    names=("params", "updates"), function="apply_updates")


INT32_MAX = 2**31 - 1


def safe_increment(count: int) -> int:
    """optax's ``safe_increment`` on an int32 counter: stops at the largest int32."""
    return min(count + 1, INT32_MAX)


def number(value: Any) -> float | None:
    """``float(value)`` for what jax takes as a scalar number (a string is not one), else
    None."""
    if isinstance(value, str):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):
        return None


def shown(value: Any) -> str:
    """``repr(value)`` on one line and at most 60 characters (an array's repr spans lines)."""
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def require_number(function: str, name: str, value: Any, *, none_ok: bool = False) -> None:
    """Raise the ``TypeError`` jax raises for a hyperparameter that is no number (None, a
    string, a list, an array of several numbers), at the stage optax uses it, naming
    ``function`` and the argument."""
    if (value is None and none_ok) or number(value) is not None:
        return
    raise TypeError(f"optbridge.compat.optax.{function}: {name} must be a number, got "
                    f"{shown(value)}")


def full_like(function: str, name: str, like: Tensor, value: Any) -> Tensor:
    """``jnp.full_like(like, value)`` as optax's init calls it: a number beyond the dtype's
    range becomes +-inf as in JAX (torch's ``full_like`` raises there); anything but a number
    raises ``TypeError`` naming the argument."""
    require_number(function, name, value)
    return torch.empty_like(like).copy_(torch.tensor(number(value), dtype=torch.float64))


def require_state(function: str, state: Any, links: tuple[type, ...]) -> None:
    """Raise ``ValueError`` unless ``state`` is a tuple of the ``links`` types, as ``init``
    returns it (another transformation's state would otherwise fail deep inside)."""
    if (isinstance(state, tuple) and len(state) == len(links)
            and all(isinstance(s, t) for s, t in zip(state, links))):
        return
    if isinstance(state, tuple):
        got = "(" + ", ".join(type(s).__name__ for s in state) + ")"
    else:
        got = describe(state)
    expected = "(" + ", ".join(t.__name__ for t in links) + ")"
    raise ValueError(f"optbridge.compat.optax.{function}: state is {got}, not the {expected} "
                     "that this transformation's init returns")


def truth(function: str, name: str, value: Any) -> bool:
    """``bool(value)`` where optax's Python ``if`` tests a flag; an array with several elements
    raises numpy's ``ValueError`` there, here naming ``function`` and the argument."""
    try:
        return bool(value)
    except (ValueError, RuntimeError) as error:
        raise ValueError(f"optbridge.compat.optax.{function}: {name}: {error}") from None


def chain(*transformations: GradientTransformation) -> GradientTransformation:
    """optax's ``chain``: apply the transformations in order; the state is a tuple of theirs."""

    def init(params: Tree) -> tuple[Any, ...]:
        return tuple(t.init(params) for t in transformations)

    def update(updates: Tree, state: tuple[Any, ...], params: Tree = None) -> tuple[Tree, Any]:
        if not isinstance(state, tuple) or len(state) != len(transformations):
            raise ValueError(f"optbridge.compat.optax.chain: state is {describe(state)}, not "
                             f"the tuple of {len(transformations)} states init returns")
        new_state = []
        for transformation, link_state in zip(transformations, state, strict=True):
            updates, link_state = transformation.update(updates, link_state, params)
            new_state.append(link_state)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)


def add_decayed_weights(
    weight_decay: float = 0.0, mask: Tree | Callable[[Tree], Tree] | None = None
) -> GradientTransformation:
    """optax's ``add_decayed_weights``: ``updates + weight_decay * params`` (coupled weight
    decay when chained before ``rmsprop``). ``mask``: a tree of bools (or a function of the
    params returning one); leaves marked False are left undecayed."""

    def update(updates: Tree, state: EmptyState, params: Tree = None) -> tuple[Tree, EmptyState]:
        if params is None:
            raise ValueError("optbridge.compat.optax.add_decayed_weights: update needs params "
                             "(as optax: 'You are using a transformation that requires the "
                             "current value of parameters')")
        decayed = tree_map(lambda u, p: u + weight_decay * p, updates, params,
                           names=("updates", "params"), function="add_decayed_weights")
        if mask is None:
            return decayed, state
        new, rebuild = flatten(decayed)
        flags = _bool_leaves(mask(params) if callable(mask) else mask, "mask")
        if len(flags) != len(new):
            raise ValueError(f"optbridge.compat.optax.add_decayed_weights: mask has {len(flags)} "
                             f"leaves, the params {len(new)}")
        old = flatten(updates)[0]
        return rebuild([n if f else o for n, o, f in zip(new, old, flags, strict=True)]), state

    return GradientTransformation(lambda params: EmptyState(), update)


def _bool_leaves(tree: Tree, where: str) -> list[bool]:
    """Leaves of a mask tree (bools in dicts, lists and tuples), in ``flatten``'s order (a
    dict's sorted keys), so that each flag meets its own param."""
    if isinstance(tree, dict):
        keys = sorted_keys(tree, where, "optbridge.compat.optax.add_decayed_weights")
        return [b for k in keys for b in _bool_leaves(tree[k], f"{where}[{k!r}]")]
    if isinstance(tree, list | tuple):
        return [b for i, v in enumerate(tree) for b in _bool_leaves(v, f"{where}[{i}]")]
    return [bool(tree)]
