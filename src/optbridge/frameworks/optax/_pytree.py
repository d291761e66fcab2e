"""A minimal pytree: tensors in dicts, lists, tuples and NamedTuples (``None`` is an empty
node, as in JAX). Enough for optimizer states and parameter trees, without a JAX dependency."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor

Tree = Any


def flatten(tree: Tree) -> tuple[list[Tensor], Callable[[list[Tensor]], Tree]]:
    """The leaves of ``tree`` (depth first) and a function that rebuilds it from new leaves."""
    leaves: list[Tensor] = []
    rebuild = _flatten(tree, leaves, "tree")

    def unflatten(new: list[Tensor]) -> Tree:
        if len(new) != len(leaves):
            raise ValueError(f"expected {len(leaves)} leaves, got {len(new)}")
        return rebuild(iter(new))

    return leaves, unflatten


def _flatten(node: Tree, out: list[Tensor], where: str) -> Callable:
    if isinstance(node, Tensor):
        out.append(node)
        return lambda it: next(it)
    if node is None:
        return lambda it: None
    if isinstance(node, dict):
        keys = list(node)
        subs = [_flatten(node[k], out, f"{where}[{k!r}]") for k in keys]
        kind = type(node)
        return lambda it: kind(zip(keys, [s(it) for s in subs]))
    if isinstance(node, tuple) and hasattr(node, "_fields"):  # NamedTuple
        subs = [_flatten(v, out, f"{where}.{f}") for f, v in zip(node._fields, node)]
        kind = type(node)
        return lambda it: kind(*[s(it) for s in subs])
    if isinstance(node, list | tuple):
        subs = [_flatten(v, out, f"{where}[{i}]") for i, v in enumerate(node)]
        kind = type(node)
        return lambda it: kind(s(it) for s in subs)
    raise TypeError(f"optbridge.compat.optax: {where} is a {type(node).__name__}; pytrees here "
                    "hold torch tensors in dicts, lists, tuples and NamedTuples")


def tree_map(fn: Callable[..., Tensor], tree: Tree, *rest: Tree) -> Tree:
    """``fn`` over matching leaves of ``tree`` and ``rest`` (same structure)."""
    leaves, unflatten = flatten(tree)
    others = [flatten(r)[0] for r in rest]
    for i, other in enumerate(others):
        if len(other) != len(leaves):
            raise ValueError(f"optbridge.compat.optax: tree {i + 1} has {len(other)} leaves, "
                             f"the first tree has {len(leaves)}")
    return unflatten([fn(*args) for args in zip(leaves, *others)])
