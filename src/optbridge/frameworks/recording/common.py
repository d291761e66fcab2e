"""Helpers shared by the recorders: JSON encoding, signatures, validation probes, gradients.

Only the standard library and numpy are used here, because this runs inside every framework's
virtual environment.
"""

from __future__ import annotations

import inspect
import platform
from collections.abc import Callable
from typing import Any

import numpy as np

REQUIRED = "<required>"


def encode(value: Any) -> Any:
    """JSON-able form that keeps the distinctions the real validators care about (tuple vs list)."""
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return {"repr": repr(value)}


def decode(value: Any) -> Any:
    """Inverse of :func:`encode` (``repr`` values come back as their string)."""
    if isinstance(value, dict):
        if set(value) == {"tuple"}:
            return tuple(decode(v) for v in value["tuple"])
        if set(value) == {"repr"}:
            return value["repr"]
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def signature_of(func: Callable) -> list[dict]:
    """Parameters of ``func`` (an ``__init__`` drops ``self``): name, kind, default.

    A decorator that hides the real signature behind ``(*args, **kwargs)`` without
    ``functools.wraps`` (MindSpore's ``opt_init_args_register``) is looked through.
    """
    for cell in getattr(func, "__closure__", None) or ():
        inner = cell.cell_contents
        if inspect.isfunction(inner) and inner.__name__ == "__init__":
            func = inner
    params = []
    for p in inspect.signature(func).parameters.values():
        if p.name == "self":
            continue
        default = REQUIRED if p.default is inspect.Parameter.empty else encode(p.default)
        params.append({"name": p.name, "kind": p.kind.name, "default": default})
    return params


def probe(make: Callable[..., Any], kwargs: dict, *, label: str = "") -> dict:
    """Call ``make(**kwargs)`` and record which exception type (if any) the real API raises."""
    try:
        make(**kwargs)
    except Exception as exc:  # noqa: BLE001 - recording the real framework's behaviour
        return {"label": label, "kwargs": encode(kwargs), "exception": type(exc).__name__,
                "message": str(exc)[:400]}
    return {"label": label, "kwargs": encode(kwargs), "exception": None, "message": ""}


def gradient(grad_spec: dict, step: int, name: str, value: np.ndarray) -> np.ndarray:
    """Gradient of parameter ``name`` at ``step`` (0-based) given its current float32 value."""
    if grad_spec["kind"] == "quadratic":
        c = np.asarray(grad_spec["c"][name], dtype=np.float32)
        return (np.float32(2.0) * c * value).astype(np.float32)
    if grad_spec["kind"] == "sequence":
        return np.asarray(grad_spec["per_step"][step][name], dtype=np.float32)
    raise ValueError(f"unknown gradient kind {grad_spec['kind']!r}")


def as_floats(array: Any) -> list:
    """float32 values as (nested) Python floats, shape kept (exact: every float32 is a double)."""
    return np.asarray(array, dtype=np.float32).tolist()


def document(framework: str, version: str, api: str, *, cases: dict, signature: list,
             probes: list, notes: list[str] | None = None, derived: bool = False,
             extra: dict | None = None) -> dict:
    """One golden file's content."""
    return {
        "framework": framework,
        "framework_version": version,
        "api": api,
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "dtype": "float32",
        "derived_from_source": derived,
        "notes": notes or [],
        "signature": signature,
        "probes": probes,
        "cases": encode(cases),  # keeps tuples (e.g. etas) distinguishable from lists
        **(extra or {}),
    }
