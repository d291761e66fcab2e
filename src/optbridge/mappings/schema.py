"""The schema of one API-mapping data file (``docs/mappings/<source framework>/<name>.toml``).

Pydantic models forbid unknown keys; :mod:`optbridge.mappings.loader` turns validation errors into
one line per problem naming the file and the field path. Rules that relate several fields (a
``renamed`` row must name two different parameters, a row's ``check`` must exist, ...) live in
:func:`structural_problems` so that they are reported the same way.
"""

from __future__ import annotations

import ast
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, StringConstraints

from .port_schema import Port, expression_problems
from .vocabulary import FRAMEWORKS, Category, Difference

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
#: Python literal as written in the signature (``"0.01"``, ``"(0.5, 1.2)"``, ``"None"``), or
#: ``"required"`` for a parameter without a default.
DefaultText = NonEmpty


def _registered(key: str) -> str:
    # Checked against the registry at validation time, so a framework added at runtime is valid.
    if key not in FRAMEWORKS:
        raise ValueError(f"unknown framework {key!r}; registered: {', '.join(FRAMEWORKS)}")
    return key


FrameworkKey = Annotated[str, AfterValidator(_registered)]

SCHEMA_VERSION = 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    """A human-language text in every site language."""

    en: NonEmpty
    zh: NonEmpty

    def __getitem__(self, language: str) -> str:
        return getattr(self, language)


class Api(Strict):
    """One side of a mapping."""

    framework: FrameworkKey
    #: Qualified name as users write it, e.g. ``torch.optim.RMSprop``.
    api: NonEmpty
    #: The call signature exactly as the framework documents it (rendered in a code block).
    signature: NonEmpty
    doc_url: HttpUrl
    #: Framework version the row facts were checked against, e.g. ``"2.13.0"``.
    version: NonEmpty
    #: Importable implementation the checks run: the real class for torch, else the
    #: ``optbridge.compat`` counterpart, as ``module:attribute``.
    counterpart: Annotated[str, StringConstraints(pattern=r"^[\w.]+:[\w.]+$")]


class ParameterRow(Strict):
    category: Category = "parameter"
    #: Parameter name on each side; omitted on the side that lacks it.
    source: Identifier | None = None
    target: Identifier | None = None
    source_default: DefaultText | None = None
    target_default: DefaultText | None = None
    difference: Difference
    note: Localized
    #: Name of an entry of ``[checks]`` that proves this row (required for ``consistent`` and
    #: ``behaviour-differs`` rows).
    check: Identifier | None = None


class BehaviouralDifference(Strict):
    title: Localized
    text: Localized
    check: Identifier


class Example(Strict):
    #: File name (without ``.py``) of a sphinx-gallery script under ``examples/``.
    script: Annotated[str, StringConstraints(pattern=r"^plot_[a-z0-9_]+$")]


Kwargs = dict[Identifier, bool | int | float | str | list[float] | None]


class TrajectoryCheck(Strict):
    """Run both counterparts on the same deterministic problem and compare the parameters."""

    kind: Literal["trajectory"]
    #: Built-in problem from :data:`optbridge.mappings.checks.problems.PROBLEMS`.
    problem: Literal["quadratic", "sign_flip", "named_params", "named_sign_flip"] = "quadratic"
    steps: Annotated[int, Field(ge=1, le=200)] = 5
    source: Kwargs = {}
    target: Kwargs = {}
    #: The learning rate is multiplied by this factor after every step (1.0: constant).
    lr_gamma: Annotated[float, Field(gt=0)] = 1.0
    #: Initial state the target is seeded with before the first step, e.g.
    #: ``{ mean_square = 0.0 }`` to show that the accumulator start is the only difference.
    target_state: dict[Identifier, float] = {}
    expect: Literal["agree", "differ"]
    #: ``agree``: largest absolute difference of the parameters allowed.
    tolerance: Annotated[float, Field(ge=0)] | None = None
    #: ``differ``: the largest absolute difference must fall within these bounds.
    min_difference: Annotated[float, Field(gt=0)] | None = None
    max_difference: Annotated[float, Field(gt=0)] | None = None


class ValidationCheck(Strict):
    """Construct each side with the given arguments and compare what is raised."""

    kind: Literal["validation"]
    source: Kwargs = {}
    target: Kwargs = {}
    #: Exception class name each side must raise, or ``"none"`` when it must accept the value.
    source_raises: Identifier
    target_raises: Identifier


Check = Annotated[TrajectoryCheck | ValidationCheck, Field(discriminator="kind")]


class Mapping(Strict):
    schema_version: Literal[1]
    summary: Localized
    source: Api
    target: Api
    parameters: Annotated[list[ParameterRow], Field(min_length=1)]
    differences: list[BehaviouralDifference] = []
    examples: list[Example] = []
    checks: dict[Identifier, Check] = {}
    #: How to write the source optimizer in the target, and how close it gets (see port_schema).
    port: Port | None = None

    def source_arguments(self) -> list[str]:
        """The source's hyperparameter names, without the parameter list itself."""
        return [
            r.source for r in self.parameters
            if r.category == "parameter" and r.source and r.source not in PARAMETER_LISTS
        ]


#: Names under which a constructor takes the parameters to optimize (not a hyperparameter).
PARAMETER_LISTS = ("params", "parameters", "var_list")


def _same_default(a: str | None, b: str | None) -> bool:
    """Defaults are equal when their values are (``0`` and ``0.0``), else when their texts are."""
    try:
        return ast.literal_eval(a or "None") == ast.literal_eval(b or "None")
    except (ValueError, SyntaxError):
        return (a or "").replace(" ", "") == (b or "").replace(" ", "")


def structural_problems(mapping: Mapping) -> list[tuple[str, str]]:
    """Rules across fields, as ``(field path, problem)`` pairs."""
    problems: list[tuple[str, str]] = []
    for i, row in enumerate(mapping.parameters):
        where = f"parameters[{i}]"
        kind = row.difference
        has_source, has_target = row.source is not None, row.target is not None
        if kind != "target-only" and not has_source:
            problems.append((f"{where}.source", f"missing (required by difference '{kind}')"))
        if kind != "source-only" and not has_target:
            problems.append((f"{where}.target", f"missing (required by difference '{kind}')"))
        if kind == "source-only" and has_target:
            problems.append((f"{where}.target", "must be omitted for difference 'source-only'"))
        if kind == "target-only" and has_source:
            problems.append((f"{where}.source", "must be omitted for difference 'target-only'"))
        for side in ("source", "target"):
            if getattr(row, side) is None and getattr(row, f"{side}_default") is not None:
                problems.append(
                    (f"{where}.{side}_default", f"given although the row has no {side} parameter")
                )
        if has_source and has_target:
            renamed = row.source != row.target
            differs = not _same_default(row.source_default, row.target_default)
            expected = {
                "consistent": (False, False),
                "renamed": (True, False),
                "default-differs": (False, True),
                "renamed-default-differs": (True, True),
            }.get(kind)
            if expected is not None and expected != (renamed, differs):
                problems.append(
                    (
                        f"{where}.difference",
                        (f"'{kind}' contradicts the row: names {row.source!r}/{row.target!r}, "
                        f"defaults {row.source_default!r}/{row.target_default!r}"),
                    )
                )
        if kind in ("consistent", "behaviour-differs") and row.check is None:
            problems.append((f"{where}.check", f"missing (required by difference '{kind}')"))
        if row.check is not None and row.check not in mapping.checks:
            problems.append((f"{where}.check", f"names unknown check {row.check!r}"))
    for i, diff in enumerate(mapping.differences):
        if diff.check not in mapping.checks:
            problems.append((f"differences[{i}].check", f"names unknown check {diff.check!r}"))
    for name, check in mapping.checks.items():
        if isinstance(check, TrajectoryCheck):
            if check.expect == "agree" and check.tolerance is None:
                problems.append((f"checks.{name}.tolerance", "missing (required by expect 'agree')"))
            if check.expect == "differ" and check.min_difference is None:
                problems.append(
                    (f"checks.{name}.min_difference", "missing (required by expect 'differ')")
                )
    if mapping.port is not None:
        problems += expression_problems(mapping.port, set(mapping.source_arguments()))
    return problems
