"""Does each declared check exercise the row that names it, and is every check used?

A check that runs its optimizers without the row's parameter (or with the parameter at its
default) passes whether the row is true or not; so does a check that nothing names. Rules:

- a row of the parameter list (``params``/``parameters``) needs a check built with groups;
- another parameter row needs a check that passes the parameter on a side that has it, in the
  keyword arguments or in a group, with a value other than that side's default (``0`` is not
  ``0.0``): at its default it would run what a check without it runs. A ``behaviour-differs``
  row may pass it at its default (the behaviour differs there). A row whose defaults differ may
  instead be proved by a check that passes the parameter on neither side, so the defaults meet;
- a row only one side has may instead pass it to the other side (which should reject it);
- input and state rows need a check that runs steps (trajectory or recorded).
"""

from __future__ import annotations

import ast
from typing import Any

from optbridge.mappings.schema import (
    Mapping,
    ParameterRow,
    RecordedCheck,
    TrajectoryCheck,
    ValidationCheck,
)

from .displayed import same_value

Check = TrajectoryCheck | ValidationCheck | RecordedCheck
PARAMETER_LISTS = ("params", "parameters")


class _Required:
    """A parameter without a default: passing any value exercises it."""


def _default(text: str | None) -> Any:
    if text is None or text == "required":
        return _Required
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _as_passed(value: Any) -> Any:
    # The check runner passes TOML lists as tuples (etas, step_sizes).
    return tuple(value) if isinstance(value, list) else value


def arguments(mapping: Mapping, check: Check, side: str) -> tuple[dict, list[dict]]:
    """The keyword arguments and groups ``check`` gives ``side`` of ``mapping``; a recorded
    check gives its recorded arguments to the side whose API was recorded."""
    if not isinstance(check, RecordedCheck):
        return getattr(check, side), getattr(check, f"{side}_groups")
    if check.runs == side:
        return check.kwargs, check.groups
    if check.recorded == getattr(mapping, side).api:
        return check.recorded_kwargs, check.recorded_groups
    return {}, []


def _passed_values(mapping: Mapping, check: Check, side: str, name: str) -> list[Any]:
    kwargs, groups = arguments(mapping, check, side)
    values = [kwargs[name]] if name in kwargs else []
    values += [group[name] for group in groups if name in group]
    return [_as_passed(v) for v in values]


def why_not_exercised(mapping: Mapping, row: ParameterRow, check: Check) -> str | None:
    """``None`` when ``check`` exercises ``row``, else the reason it does not."""
    names = {n for n in (row.source, row.target) if n is not None}
    if row.category != "parameter":
        return None if not isinstance(check, ValidationCheck) else \
            f"a {row.category} row needs a check that runs steps"
    if names & set(PARAMETER_LISTS):
        grouped = any(arguments(mapping, check, side)[1] for side in ("source", "target"))
        return None if grouped else "runs without parameter groups"
    passed_at_all = False
    for side in ("source", "target"):
        name = getattr(row, side)
        if name is None:  # a one-sided row: passing it to the side that lacks it is the test
            if any(_passed_values(mapping, check, side, other) for other in names):
                return None
            continue
        default = _as_passed(_default(getattr(row, f"{side}_default")))
        for value in _passed_values(mapping, check, side, name):
            passed_at_all = True
            if (default is _Required or row.difference == "behaviour-differs"
                    or not same_value(value, default)):
                return None
    if not passed_at_all and row.source and row.target and not same_value(
            _default(row.source_default), _default(row.target_default)):
        return None  # the two defaults meet
    shown = " or ".join(sorted(names))
    if passed_at_all:
        return f"passes {shown} only at its default"
    return f"does not pass {shown}"


def coverage_problems(mapping: Mapping) -> list[tuple[str, str]]:
    """``(field path, problem)`` for every check that does not exercise a row naming it, and
    every check that no row or difference names."""
    problems: list[tuple[str, str]] = []
    used: set[str] = set()
    for i, row in enumerate(mapping.parameters):
        for name in row.checks:
            used.add(name)
            check = mapping.checks.get(name)
            reason = check is not None and why_not_exercised(mapping, row, check)
            if reason:
                problems.append((f"parameters[{i}].check",
                                 f"check {name!r} does not exercise the row: it {reason}"))
    for diff in mapping.differences:
        used.update(diff.checks)
    problems += [(f"checks.{name}", "is named by no row and no difference")
                 for name in mapping.checks if name not in used]
    return problems
