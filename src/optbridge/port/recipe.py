"""A mapping's ``[port]`` recipe applied to concrete source arguments.

:func:`apply_recipe` is the one place that turns the table's data and a user's values into the
target's arguments, state and caveats; the page, the command line and the checks all call it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from optbridge.mappings import Mapping
from optbridge.mappings.port_schema import Alternative, Port, PortText

from .expressions import ExpressionError, evaluate


class PortError(ValueError):
    """The input cannot be ported as given: one line naming the argument and the reason."""


@dataclass(frozen=True)
class TargetArgument:
    name: str
    value: Any
    #: The recipe's expression, shown as a comment when it is more than a renamed argument.
    expression: str


@dataclass
class Ported:
    """The target call for one set of source arguments, and what applies to it."""

    mapping: Mapping
    port: Port
    source_values: dict[str, Any]
    arguments: list[TargetArgument]
    state: dict[str, Any]
    caveats: list[PortText] = field(default_factory=list)
    #: Reasons the port cannot reproduce the source (unmatched arguments, impossible caveats).
    impossible: list[PortText] = field(default_factory=list)
    #: Source arguments given but left out because they do not change the result.
    dropped: list[str] = field(default_factory=list)

    @property
    def target_kwargs(self) -> dict[str, Any]:
        return {a.name: a.value for a in self.arguments}


def source_defaults(mapping: Mapping) -> dict[str, Any]:
    """The source's documented defaults; required arguments are absent."""
    defaults: dict[str, Any] = {}
    for name in mapping.source_arguments():
        row = next(r for r in mapping.parameters if r.source == name)
        if row.source_default in (None, "required"):
            continue
        defaults[name] = ast.literal_eval(row.source_default)
    return defaults


def apply_recipe(mapping: Mapping, given: dict[str, Any], *, scheduler: bool = False) -> Ported:
    """The port of ``source(**given)``; :class:`PortError` for arguments the source lacks or
    required ones that are missing."""
    port = mapping.port
    if port is None:
        raise PortError(f"{mapping.source.api} -> {mapping.target.api}: the table has no recipe")
    known = mapping.source_arguments()
    for name in given:
        if name not in known and name not in port.ignored:
            raise PortError(f"{mapping.source.api} has no argument {name!r}")
    ignored = [port.ignored[n] for n in given if n in port.ignored]
    given = {k: v for k, v in given.items() if k not in port.ignored}
    values = {**source_defaults(mapping), **given}
    missing = [n for n in known if n not in values and _used(port, n)]
    if missing:
        raise PortError(f"{mapping.source.api}: required argument {missing[0]!r} is missing")
    names = {**values, "scheduler": scheduler}
    try:
        arguments = [
            TargetArgument(name, _tidy(evaluate(text, names)), text)
            for name, text in port.arguments.items()
        ]
        state = {name: evaluate(text, names) for name, text in port.state.items()}
        applying = [c for c in port.caveats if evaluate(c.when, names)]
    except ExpressionError as exc:
        raise PortError(f"{mapping.source.api}: the recipe cannot take these values: {exc}") from None
    defaults = source_defaults(mapping)
    ported = Ported(mapping, port, values, arguments, state)
    ported.caveats = ignored + [c.text for c in applying if not c.impossible]
    ported.impossible = [c.text for c in applying if c.impossible]
    for name, reason in port.unmatched.items():
        if name in given and given[name] != defaults.get(name):
            ported.impossible.append(reason)
    ported.dropped = [n for n in port.dropped if n in given]
    ported.caveats += [_converted(a) for a in arguments if _is_int_made_float(a, given)]
    return ported


def _tidy(value: Any) -> Any:
    """Computed floats to 15 significant digits: ``1e-16``, not ``1.0000000000000001e-16``."""
    if isinstance(value, float):
        return float(f"{value:.15g}")
    if isinstance(value, tuple):
        return tuple(_tidy(v) for v in value)
    return value


def _is_int_made_float(argument: TargetArgument, given: dict[str, Any]) -> bool:
    name = argument.expression.removeprefix("float(").removesuffix(")")
    value = given.get(name)
    return (argument.expression == f"float({name})" and isinstance(value, int)
            and not isinstance(value, bool))


def _converted(argument: TargetArgument) -> PortText:
    source = argument.expression.removeprefix("float(").removesuffix(")")
    return PortText(
        en=(f"`{source}` is an int; the target raises TypeError for an int `{argument.name}`, "
            f"so the port writes `{argument.value!r}`."),
        zh=(f"`{source}` 是 int；目标框架的 `{argument.name}` 传入 int 会抛出 TypeError，"
            f"因此移植代码写作 `{argument.value!r}`。"),
    )


def _used(port: Port, name: str) -> bool:
    texts = [*port.arguments.values(), *port.state.values()]
    return any(
        isinstance(node, ast.Name) and node.id == name
        for text in texts
        for node in ast.walk(ast.parse(text, mode="eval"))
    )


def alternative_arguments(ported: Ported, alternative: Alternative) -> list[TargetArgument]:
    """An alternative target's arguments for the same source values."""
    try:
        return [TargetArgument(name, _tidy(evaluate(text, ported.source_values)), text)
                for name, text in alternative.arguments.items()]
    except ExpressionError as exc:
        raise PortError(f"{alternative.api}: cannot take these values: {exc}") from None
