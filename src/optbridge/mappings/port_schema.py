"""The ``[port]`` section of a mapping table: how to write the source optimizer in the target.

A recipe is data, not code: the target's keyword arguments as small expressions over the source's
arguments (``epsilon = "eps ** 2"``), the state to overwrite after construction, and the caveats
with the condition under which each applies. :mod:`optbridge.port` renders it as code (on the
page and from the command line, from the same data) and runs it on the simulation; the stated
gap is what that run measured for ``example``, checked by ``make test``.
"""

from __future__ import annotations

import ast
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
#: A Python expression over the source's argument names (and ``scheduler`` in conditions).
Expression = NonEmpty
#: Functions a recipe expression may call (see :mod:`optbridge.port.expressions`).
BUILTINS = {"float", "int", "min", "max", "tuple", "abs"}
Literal_ = bool | int | float | str | list[float] | None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortText(_Strict):
    en: NonEmpty
    zh: NonEmpty

    def __getitem__(self, language: str) -> str:
        return getattr(self, language)


class Caveat(_Strict):
    #: When it applies: an expression over the source's arguments; ``scheduler`` is true when
    #: the input file constructs a learning-rate scheduler. ``"True"``: always.
    when: Expression = "True"
    #: ``True``: when it applies the port cannot reproduce the source (exit code "impossible").
    impossible: bool = False
    text: PortText


class Gap(_Strict):
    """What the simulation measured for ``Port.example``; ``make test`` re-measures it."""

    #: Largest absolute difference of the weights after ``Port.steps`` steps.
    weights: Annotated[float, Field(ge=0)]
    #: Largest relative difference of one update where the gradients are near the source's eps
    #: (only for recipes that set ``eps_scale``).
    near_eps: Annotated[float, Field(ge=0)] | None = None


class Alternative(_Strict):
    """Another target API that reproduces the source (MindSpore's ``experimental.optim``).

    The simulation has no counterpart of it, so its gap is only the one recorded from the real
    framework (``python -m optbridge.port.real``), and the page says so.
    """

    api: NonEmpty
    arguments: dict[Identifier, Expression]
    text: PortText


class Port(_Strict):
    #: The target call the recipe writes (usually ``target.api``).
    api: NonEmpty
    #: Target keyword -> expression over the source's arguments, in the order written.
    arguments: dict[Identifier, Expression]
    #: Target state overwritten after construction (MindSpore ``mean_square``), name -> expression.
    state: dict[Identifier, Expression] = {}
    #: Source arguments that do not change the result (``foreach``): left out without a caveat.
    dropped: list[Identifier] = []
    #: Source arguments the target cannot reproduce at a non-default value, with the reason.
    unmatched: dict[Identifier, PortText] = {}
    #: Arguments the source accepts but ignores (Keras 3's legacy ``decay``), with what to know
    #: when a user passes one: they are left out of the port.
    ignored: dict[Identifier, PortText] = {}
    caveats: list[Caveat] = []
    #: Source arguments of the page's recipe and of the stated gap; defaults fill the rest.
    example: dict[Identifier, Literal_] = {}
    problem: Literal["quadratic", "sign_flip"] = "quadratic"
    steps: Annotated[int, Field(ge=1, le=1000)] = 100
    #: Expression of the gradient size where eps placement matters most (``"eps"``).
    eps_scale: Expression | None = None
    gap: Gap
    alternatives: list[Alternative] = []


def expression_problems(port: Port, source_names: set[str]) -> list[tuple[str, str]]:
    """Expressions that do not parse or name unknown source arguments."""
    problems: list[tuple[str, str]] = []
    fields = [(f"port.arguments.{k}", v, source_names) for k, v in port.arguments.items()]
    fields += [(f"port.state.{k}", v, source_names) for k, v in port.state.items()]
    fields += [
        (f"port.caveats[{i}].when", c.when, source_names | {"scheduler"})
        for i, c in enumerate(port.caveats)
    ]
    if port.eps_scale is not None:
        fields.append(("port.eps_scale", port.eps_scale, source_names))
    fields += [
        (f"port.alternatives[{i}].arguments.{k}", v, source_names)
        for i, alternative in enumerate(port.alternatives)
        for k, v in alternative.arguments.items()
    ]
    for where, text, known in fields:
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            problems.append((where, f"not a Python expression: {exc.msg}"))
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id not in known | BUILTINS:
                problems.append((where, f"names {node.id!r}, which is no source argument"))
    used: set[str] = set()
    for text in [*port.arguments.values(), *port.state.values()]:
        try:
            used |= {n.id for n in ast.walk(ast.parse(text, mode="eval")) if isinstance(n, ast.Name)}
        except SyntaxError:
            continue  # reported above
    for name in sorted(source_names - used - set(port.dropped) - set(port.unmatched)):
        problems.append(
            ("port", f"source argument {name!r} is neither used, dropped nor unmatched")
        )
    for name in sorted(set(port.example) - source_names):
        problems.append((f"port.example.{name}", "is no source argument"))
    return problems
