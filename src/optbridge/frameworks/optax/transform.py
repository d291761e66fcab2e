"""optax's ``GradientTransformation`` shape and ``apply_updates``, for torch tensors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from optbridge.frameworks.optax._pytree import Tree, tree_map


class GradientTransformation(NamedTuple):
    """``init(params) -> state`` and ``update(updates, state, params=None) -> (updates,
    state)``, as optax."""

    init: Callable[[Tree], Any]
    update: Callable[..., tuple[Tree, Any]]


class EmptyState(NamedTuple):
    """State of a stateless link of the chain (optax's ``EmptyState``)."""


def apply_updates(params: Tree, updates: Tree) -> Tree:
    """``params + updates`` leaf by leaf, in each param's dtype (optax's ``apply_updates``)."""
    return tree_map(lambda p, u: (p + u).to(p.dtype), params, updates)


INT32_MAX = 2**31 - 1


def safe_increment(count: int) -> int:
    """optax's ``safe_increment`` on an int32 counter: stops at the largest int32."""
    return min(count + 1, INT32_MAX)
