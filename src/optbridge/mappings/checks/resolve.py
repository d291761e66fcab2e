"""Find the objects a mapping names: the real API when its framework is installed, and our
counterpart (always)."""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from optbridge.frameworks import import_aliases


class NotInstalled(Exception):
    """The framework of an API is not installed here, so its live signature cannot be read."""


class Unresolved(Exception):
    """The framework is installed but the name does not exist in it."""


def resolve_api(qualname: str) -> Any:
    """``torch.optim.RMSprop`` -> the class; :class:`NotInstalled` when the top package is absent."""
    parts = qualname.split(".")
    top = import_aliases().get(parts[0], parts[0])
    if importlib.util.find_spec(top) is None:
        raise NotInstalled(f"{top} is not installed")
    parts[0] = top
    # Import the longest importable module prefix, then walk attributes.
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(obj, name):
                raise Unresolved(f"{'.'.join(parts[:cut])} has no attribute {name!r}")
            obj = getattr(obj, name)
        return obj
    raise Unresolved(f"cannot import {qualname}")


def resolve_counterpart(spec: str) -> Any:
    """``module:attribute`` -> the object; :class:`Unresolved` naming what is missing."""
    module_name, _, attribute = spec.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise Unresolved(f"cannot import {module_name}: {exc}") from None
    for name in attribute.split("."):
        if not hasattr(obj, name):
            raise Unresolved(f"{module_name} has no attribute {attribute!r}")
        obj = getattr(obj, name)
    return obj
