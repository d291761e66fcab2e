"""A minimal pytree: tensors in dicts, lists, tuples and NamedTuples (``None`` is an empty
node, as in JAX). Enough for optimizer states and parameter trees, without a JAX dependency.

As in JAX, a dict's leaves are taken in the order of its sorted keys, so two dicts with the
same keys pair their leaves by key whatever order they were built in; the trees rebuilt keep
the caller's key order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor

Tree = Any

PYTREE_KINDS = "pytrees here hold torch tensors in dicts, lists, tuples and NamedTuples"
#: Ends an ``update``'s tree-mismatch error: what the state was made for.
UPDATE_HINT = " (update takes a tree shaped as the params given to init)"


def flatten(tree: Tree, name: str = "tree",
            function: str = "") -> tuple[list[Tensor], Callable[[list[Tensor]], Tree]]:
    """The leaves of ``tree`` (depth first) and a function that rebuilds it from new leaves.

    ``name`` (``"params"``, ``"updates"``) and ``function`` (``"rmsprop"``) name the tree in
    the one-line error raised for a node that is not a tensor, container or None.
    """
    leaves: list[Tensor] = []
    rebuild = _flatten(tree, leaves, name, _prefix(function))

    def unflatten(new: list[Tensor]) -> Tree:
        if len(new) != len(leaves):
            raise ValueError(f"expected {len(leaves)} leaves, got {len(new)}")
        return rebuild(iter(new))

    return leaves, unflatten


def _prefix(function: str) -> str:
    return f"optbridge.compat.optax.{function}" if function else "optbridge.compat.optax"


def sorted_keys(node: dict, where: str, prefix: str) -> list:
    """A dict's keys in JAX's leaf order (sorted); keys that do not sort are refused, as JAX
    refuses them ("Comparator raised exception while sorting pytree dictionary keys")."""
    try:
        return sorted(node)
    except TypeError:
        raise ValueError(f"{prefix}: {where} has keys {_keys(list(node))} that cannot be sorted; "
                         "a dict's leaves are paired by its sorted keys, as in optax") from None


def _flatten(node: Tree, out: list[Tensor], where: str, prefix: str) -> Callable:
    if isinstance(node, Tensor):
        out.append(node)
        return lambda it: next(it)
    if node is None:
        return lambda it: None
    if isinstance(node, dict):
        keys = sorted_keys(node, where, prefix)
        subs = [_flatten(node[k], out, f"{where}[{k!r}]", prefix) for k in keys]
        kind, order = type(node), list(node)

        def rebuild_dict(it: Any) -> dict:
            values = {k: s(it) for k, s in zip(keys, subs)}
            return kind((k, values[k]) for k in order)

        return rebuild_dict
    if isinstance(node, tuple) and hasattr(node, "_fields"):  # NamedTuple
        subs = [_flatten(v, out, f"{where}.{f}", prefix) for f, v in zip(node._fields, node)]
        kind = type(node)
        return lambda it: kind(*[s(it) for s in subs])
    if isinstance(node, list | tuple):
        subs = [_flatten(v, out, f"{where}[{i}]", prefix) for i, v in enumerate(node)]
        kind = type(node)
        return lambda it: kind(s(it) for s in subs)
    raise TypeError(f"{prefix}: {where} is a {type(node).__name__}; {PYTREE_KINDS}")


def _keys(keys: list) -> str:
    return ", ".join(repr(k) for k in keys)


def describe(node: Tree) -> str:
    """``node`` in a few words: "a tensor of shape (2, 3)", "a dict", "a list of 2"."""
    if isinstance(node, Tensor):
        return f"a tensor of shape {tuple(node.shape)}"
    if node is None:
        return "None"
    if isinstance(node, tuple) and hasattr(node, "_fields"):
        return f"a {type(node).__name__}"
    if isinstance(node, list | tuple):
        return f"a {type(node).__name__} of {len(node)}"
    return f"a {type(node).__name__}"


def difference(got: Tree, reference: Tree, got_where: str, reference_where: str) -> str | None:
    """Where ``got`` first differs from ``reference`` in structure, leaf shape or device, in
    one phrase naming both places; None when they match."""
    if isinstance(reference, Tensor) and isinstance(got, Tensor):
        if got.shape != reference.shape:
            return (f"{got_where} has shape {tuple(got.shape)}, {reference_where} has shape "
                    f"{tuple(reference.shape)}")
        if got.device != reference.device:
            return f"{got_where} is on {got.device}, {reference_where} on {reference.device}"
        return None
    if type(got) is not type(reference) or (
            isinstance(got, list | tuple) and len(got) != len(reference)):
        return f"{got_where} is {describe(got)}, {reference_where} is {describe(reference)}"
    if isinstance(reference, dict):
        if set(got) != set(reference):
            missing = [k for k in reference if k not in got]
            extra = [k for k in got if k not in reference]
            if missing:
                return f"{got_where} lacks {_keys(missing)}, which {reference_where} has"
            return f"{got_where} has {_keys(extra)}, which {reference_where} lacks"
        pairs = [(got[k], reference[k], f"[{k!r}]") for k in reference]
    elif isinstance(reference, tuple) and hasattr(reference, "_fields"):
        pairs = [(g, r, f".{f}") for g, r, f in zip(got, reference, reference._fields)]
    elif isinstance(reference, list | tuple):
        pairs = [(g, r, f"[{i}]") for i, (g, r) in enumerate(zip(got, reference))]
    else:
        return None  # both None (tensors were compared above; other leaves are refused)
    for g, r, step in pairs:
        found = difference(g, r, got_where + step, reference_where + step)
        if found:
            return found
    return None


def require_match(function: str, got: Tree, got_name: str, reference: Tree,
                  reference_name: str, hint: str = "") -> None:
    """Raise ``ValueError`` naming the first place where ``got`` is not shaped as
    ``reference`` (keys, lengths, container types, leaf shapes and devices), as optax raises
    on a tree mismatch; leaves of different shapes are refused even where JAX would broadcast
    them, since each state leaf belongs to one param. ``hint`` ends the message."""
    found = difference(got, reference, got_name, reference_name)
    if found:
        raise ValueError(f"{_prefix(function)}: {found}{hint}")


def tree_map(fn: Callable[..., Tensor], tree: Tree, *rest: Tree, names: tuple[str, ...],
             function: str) -> Tree:
    """``fn`` over matching leaves of ``tree`` and ``rest``, named by ``names`` (one per tree)
    in the errors; each of ``rest`` must match ``tree`` (:func:`require_match`)."""
    for other, name in zip(rest, names[1:], strict=True):
        require_match(function, other, name, tree, names[0])
    leaves, unflatten = flatten(tree, names[0], function)
    others = [flatten(other, name, function)[0] for other, name in zip(rest, names[1:])]
    return unflatten([fn(*args) for args in zip(leaves, *others)])
