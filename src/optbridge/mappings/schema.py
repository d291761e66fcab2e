"""The schema of one API-mapping data file (``docs/mappings/<source framework>/<name>.toml``).

Pydantic models forbid unknown keys; :mod:`optbridge.mappings.loader` turns validation errors into
one line per problem naming the file and the field path. Rules that relate several fields (a
``renamed`` row must name two different parameters, a row's ``check`` must exist, ...) live in
:func:`structural_problems` so that they are reported the same way.

Every text that reaches a generated page is either held to a strict pattern (API names, file
stems, versions: they are pasted into generated MyST) or rendered as escaped text; every text
has a length limit (documented in ``docs/contributing/mapping-format.md``).
"""

from __future__ import annotations

import ast
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    UrlConstraints,
)

from .port_schema import Port, expression_problems
from .vocabulary import FRAMEWORKS, Category, Difference

#: Length limits, in characters (see docs/contributing/mapping-format.md).
MAX_NAME = 64  # parameter, check and counterpart attribute names
MAX_API = 100
MAX_SIGNATURE = 1000
MAX_SHORT_TEXT = 120  # versions, defaults, titles of behavioural differences
MAX_SUMMARY = 600
MAX_NOTE = 1500  # notes and the texts of behavioural differences
MAX_URL = 300
#: A data file larger than this is refused before it is parsed.
MAX_FILE_BYTES = 200_000

#: A dotted Python name: ``torch.optim.RMSprop``.
API_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
#: A data file's name without ``.toml``: letters, digits and ``_``, joined by ``.`` or ``-``.
FILE_STEM = re.compile(r"[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*")
#: A gallery script's name without ``.py``.
SCRIPT_NAME = re.compile(r"plot_[a-z0-9_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _matching(pattern: re.Pattern[str], description: str):
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"must be {description}")
        return value

    return AfterValidator(check)


def _one_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must be one line of text without control characters")
    return value


def _text(max_length: int, *, one_line: bool = False):
    constraints = StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)
    if one_line:
        return Annotated[str, constraints, AfterValidator(_one_line)]
    return Annotated[str, constraints]


NonEmpty = _text(MAX_NOTE)
Identifier = Annotated[
    str,
    StringConstraints(max_length=MAX_NAME),
    _matching(re.compile(r"[A-Za-z_][A-Za-z0-9_]*"), "a Python identifier (letters, digits, _)"),
]
ApiName = Annotated[
    str,
    StringConstraints(max_length=MAX_API),
    _matching(API_NAME, "a dotted Python name such as torch.optim.RMSprop"),
]
Version = Annotated[
    str,
    StringConstraints(max_length=MAX_SHORT_TEXT),
    _matching(re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]*"), "a version such as 2.13.0"),
]
#: Python literal as written in the signature (``"0.01"``, ``"(0.5, 1.2)"``, ``"None"``), or
#: ``"required"`` for a parameter without a default.
DefaultText = _text(MAX_SHORT_TEXT, one_line=True)


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
    api: ApiName
    #: The call signature exactly as the framework documents it (rendered in a code block).
    signature: _text(MAX_SIGNATURE, one_line=True)  # type: ignore[valid-type]
    doc_url: Annotated[HttpUrl, UrlConstraints(max_length=MAX_URL)]
    #: The Chinese page of the same documentation, where the framework has one (MindSpore,
    #: Paddle); the Chinese site links it instead of ``doc_url``.
    doc_url_zh: Annotated[HttpUrl, UrlConstraints(max_length=MAX_URL)] | None = None
    #: Framework version the row facts were checked against, e.g. ``"2.13.0"``.
    version: Version
    #: Importable implementation the checks run: the real class for torch, else the
    #: ``optbridge.compat`` counterpart, as ``module:attribute``.
    counterpart: Annotated[
        str, StringConstraints(max_length=2 * MAX_API),
        _matching(re.compile(rf"{API_NAME.pattern}:{API_NAME.pattern}"),
                  "module:attribute, e.g. optbridge.compat.paddle:Rprop"),
    ]


class ParameterRow(Strict):
    category: Category = "parameter"
    #: Parameter name on each side; omitted on the side that lacks it.
    source: Identifier | None = None
    target: Identifier | None = None
    source_default: DefaultText | None = None
    target_default: DefaultText | None = None
    difference: Difference
    note: Localized
    #: Name of an entry of ``[checks]`` that proves this row, or a list of them when the note
    #: makes several claims (required for ``consistent`` and ``behaviour-differs`` rows).
    check: Identifier | list[Identifier] | None = None

    @property
    def checks(self) -> list[str]:
        return [] if self.check is None else [self.check] if isinstance(self.check, str) \
            else list(self.check)


class Title(Localized):
    """A section title: one short line in every site language."""

    en: _text(MAX_SHORT_TEXT, one_line=True)  # type: ignore[valid-type]
    zh: _text(MAX_SHORT_TEXT, one_line=True)  # type: ignore[valid-type]


class Summary(Localized):
    en: _text(MAX_SUMMARY)  # type: ignore[valid-type]
    zh: _text(MAX_SUMMARY)  # type: ignore[valid-type]


class BehaviouralDifference(Strict):
    title: Title
    text: Localized
    check: Identifier | list[Identifier]

    @property
    def checks(self) -> list[str]:
        return [self.check] if isinstance(self.check, str) else list(self.check)


class Example(Strict):
    #: File name (without ``.py``) of a sphinx-gallery script under ``examples/``.
    script: Annotated[
        str, StringConstraints(max_length=MAX_API),
        _matching(SCRIPT_NAME, "plot_ followed by lower-case letters, digits, _"),
    ]


Kwargs = dict[Identifier, bool | int | float | str | list[float] | None]
#: One parameter group: options, plus ``params`` (and MindSpore's ``order_params``) as the names
#: of the problem's parameters; a group without ``params`` takes them all.
Group = dict[Identifier, bool | int | float | str | list[float] | list[str] | None]


class TrajectoryCheck(Strict):
    """Run both counterparts on the same deterministic problem and compare the parameters."""

    kind: Literal["trajectory"]
    #: Built-in problem from :data:`optbridge.mappings.checks.problems.PROBLEMS`.
    problem: Literal["quadratic", "sign_flip", "small_gradient", "named_params",
                     "named_sign_flip"] = "quadratic"
    steps: Annotated[int, Field(ge=1, le=200)] = 5
    source: Kwargs = {}
    target: Kwargs = {}
    #: Parameter groups each side is built with (instead of a plain parameter list).
    source_groups: list[Group] = []
    target_groups: list[Group] = []
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
    source_groups: list[Group] = []
    target_groups: list[Group] = []
    #: Exception class name each side must raise, or ``"none"`` when it must accept the value.
    source_raises: Identifier
    target_raises: Identifier


class RecordedCheck(Strict):
    """Run one side here and compare it with a recorded run of a real package (for behaviour no
    facade models, e.g. Paddle's parameter groups or ``mindspore.experimental.optim``)."""

    kind: Literal["recorded"]
    #: The API whose run was recorded (``<api>.mapping-cases.json`` in a framework's room).
    recorded: NonEmpty
    #: The case of that recording; its problem, steps and arguments must be those below.
    case: Identifier
    recorded_kwargs: Kwargs = {}
    recorded_groups: list[Group] = []
    #: The side of this page whose counterpart runs here, with these arguments.
    runs: Literal["source", "target"]
    kwargs: Kwargs = {}
    groups: list[Group] = []
    problem: Literal["quadratic", "sign_flip", "small_gradient", "named_params",
                     "named_sign_flip"] = "quadratic"
    steps: Annotated[int, Field(ge=1, le=200)] = 5
    #: Initial state of the running side (as ``TrajectoryCheck.target_state``).
    state: dict[Identifier, float] = {}
    expect: Literal["agree", "differ"]
    tolerance: Annotated[float, Field(ge=0)] | None = None
    min_difference: Annotated[float, Field(gt=0)] | None = None
    max_difference: Annotated[float, Field(gt=0)] | None = None


Check = Annotated[TrajectoryCheck | ValidationCheck | RecordedCheck, Field(discriminator="kind")]


class Mapping(Strict):
    schema_version: Literal[1]
    summary: Summary
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


#: A link from table text to a label of another page: ``[words](ref:label)``.
REFERENCE = re.compile(r"\]\(ref:([a-z0-9-]+)\)")


def _texts(mapping: Mapping) -> list[tuple[str, Localized]]:
    out: list[tuple[str, Localized]] = [("summary", mapping.summary)]
    out += [(f"parameters[{i}].note", row.note) for i, row in enumerate(mapping.parameters)]
    for i, diff in enumerate(mapping.differences):
        out += [(f"differences[{i}].title", diff.title), (f"differences[{i}].text", diff.text)]
    return out


def structural_problems(mapping: Mapping) -> list[tuple[str, str]]:
    """Rules across fields, as ``(field path, problem)`` pairs."""
    problems: list[tuple[str, str]] = []
    for where, text in _texts(mapping):
        en, zh = sorted(REFERENCE.findall(text.en)), sorted(REFERENCE.findall(text.zh))
        if en != zh:
            problems.append((f"{where}.zh", f"links {zh} where the English text links {en}"))
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
        problems += [(f"{where}.check", f"names unknown check {name!r}")
                     for name in row.checks if name not in mapping.checks]
    for i, diff in enumerate(mapping.differences):
        problems += [(f"differences[{i}].check", f"names unknown check {name!r}")
                     for name in diff.checks if name not in mapping.checks]
    for name, check in mapping.checks.items():
        if isinstance(check, TrajectoryCheck | RecordedCheck):
            if check.expect == "agree" and check.tolerance is None:
                problems.append((f"checks.{name}.tolerance", "missing (required by expect 'agree')"))
            if check.expect == "differ" and check.min_difference is None:
                problems.append(
                    (f"checks.{name}.min_difference", "missing (required by expect 'differ')")
                )
    if mapping.port is not None:
        problems += expression_problems(mapping.port, set(mapping.source_arguments()))
    return problems
