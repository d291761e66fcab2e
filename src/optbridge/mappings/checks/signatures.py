"""Names, defaults and completeness of the parameter rows against a live signature."""

from __future__ import annotations

import ast
import inspect
from typing import Any

from optbridge.mappings.schema import Mapping

Side = str  # "source" | "target"
_SKIPPED_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def constructor_parameters(obj: Any) -> dict[str, inspect.Parameter]:
    """The parameters a user passes to ``obj`` (a class or a factory function), without
    ``self`` and ``*args``/``**kwargs``."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot read the signature of {obj!r}: {exc}") from None
    return {
        name: p for name, p in signature.parameters.items() if p.kind not in _SKIPPED_KINDS
    }


def _default_matches(stated: str, actual: Any) -> bool:
    """``stated`` is the row's Python literal (or ``required``); ``0`` equals ``0.0``, but a
    bool never equals a number."""
    if stated == "required" or actual is inspect.Parameter.empty:
        return stated == "required" and actual is inspect.Parameter.empty
    try:
        value = ast.literal_eval(stated)
    except (ValueError, SyntaxError):
        return stated == repr(actual)
    if isinstance(value, tuple | list) and isinstance(actual, tuple | list):
        return list(value) == list(actual)
    if isinstance(value, bool) or isinstance(actual, bool):
        return value is actual
    return value == actual


def _shown(default: Any) -> str:
    return "required" if default is inspect.Parameter.empty else repr(default)


def signature_problems(mapping: Mapping, side: Side, obj: Any) -> list[tuple[str, str]]:
    """``(field path, problem)`` for every row that contradicts ``obj``'s signature, and for
    every parameter of the signature that no row (or more than one) names."""
    parameters = constructor_parameters(obj)
    problems: list[tuple[str, str]] = []
    named: dict[str, list[int]] = {}
    for i, row in enumerate(mapping.parameters):
        if row.category != "parameter":
            continue
        name = getattr(row, side)
        if name is None:
            continue
        named.setdefault(name, []).append(i)
        if name not in parameters:
            problems.append((f"parameters[{i}].{side}", f"{name!r} is not a parameter"))
            continue
        # A row without a default states that the parameter is required.
        stated = getattr(row, f"{side}_default") or "required"
        if not _default_matches(stated, parameters[name].default):
            problems.append(
                (
                    f"parameters[{i}].{side}_default",
                    f"states {stated}, the signature has {_shown(parameters[name].default)}",
                )
            )
    for name in parameters:
        rows = named.get(name, [])
        if not rows:
            problems.append(("parameters", f"{side} parameter {name!r} has no row"))
        elif len(rows) > 1:
            problems.append(
                ("parameters", f"{side} parameter {name!r} appears in rows {rows}, not once")
            )
    return problems
