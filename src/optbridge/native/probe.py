"""Run inside a framework's own environment (standard library only): versions, platform and the
real signature of every API a snippet names, as JSON on stdout.

    python probe.py <distribution>... -- <dotted API name>...
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import json
import platform
import sys


def resolve(name: str) -> object:
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)  # AttributeError: the name does not exist
        return obj
    raise ImportError(name)


def unwrapped(obj: object) -> object:
    """Look through a decorator that hides a constructor behind ``(*args, **kwargs)`` without
    ``functools.wraps`` (MindSpore's ``opt_init_args_register`` on every optimizer)."""
    init = getattr(obj, "__init__", None) if inspect.isclass(obj) else obj
    for cell in getattr(init, "__closure__", None) or ():
        inner = cell.cell_contents
        if inspect.isfunction(inner) and inner.__name__ == "__init__":
            return inner  # its signature includes ``self``, dropped below
    return obj


def describe(name: str) -> dict[str, object]:
    """``{"exists": bool, "parameters": [...] | None, "var_keyword": bool}``."""
    try:
        obj = resolve(name)
    except (ImportError, AttributeError) as exc:
        return {"exists": False, "error": f"{type(exc).__name__}: {exc}"}
    try:
        signature = inspect.signature(unwrapped(obj))
    except (TypeError, ValueError):  # not callable, or a builtin without a signature
        return {"exists": True, "parameters": None, "var_keyword": False}
    kinds = inspect.Parameter
    return {
        "exists": True,
        "parameters": [p.name for p in signature.parameters.values()
                       if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)
                       and p.name != "self"],
        "var_keyword": any(p.kind == kinds.VAR_KEYWORD for p in signature.parameters.values()),
    }


def main(argv: list[str]) -> None:
    cut = argv.index("--") if "--" in argv else len(argv)
    distributions, apis = argv[:cut], argv[cut + 1:]
    print(json.dumps({
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {d: importlib.metadata.version(d) for d in distributions},
        "apis": {name: describe(name) for name in apis},
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
