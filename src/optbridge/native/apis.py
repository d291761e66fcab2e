"""The framework APIs a snippet names, read from its syntax tree.

Only names reached from an import are resolved (``nn.RMSProp`` after ``from mindspore import
nn``); methods of objects (``optimizer.step``) have no static type here and are not listed.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ApiUse:
    name: str  # fully qualified, e.g. ``mindspore.nn.RMSProp``
    keywords: set[str] = field(default_factory=set)
    #: Literal keyword values of each call, e.g. ``[{"learning_rate": 0.01}]``.
    calls: list[dict[str, Any]] = field(default_factory=list)


def _aliases(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases:
        return ".".join([aliases[node.id], *reversed(parts)])
    return None


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ...  # not a literal: the value is left out of ``calls``


def api_uses(path: Path) -> dict[str, ApiUse]:
    """Every imported name a snippet uses (longest dotted chain), with the keywords of calls."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    aliases = _aliases(tree)
    uses: dict[str, ApiUse] = {}
    inner: set[int] = set()  # attribute nodes that are part of a longer chain
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            inner.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func, aliases)
            if name:
                use = uses.setdefault(name, ApiUse(name))
                keywords = {k.arg: _literal(k.value) for k in node.keywords if k.arg}
                use.keywords |= set(keywords)
                use.calls.append({k: v for k, v in keywords.items() if v is not ...})
                inner.add(id(node.func))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name) and id(node) not in inner:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                continue
            name = _dotted(node, aliases)
            if name and "." in name:
                uses.setdefault(name, ApiUse(name))
    return uses
