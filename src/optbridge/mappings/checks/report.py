"""Every claim of a mapping file, checked: names and defaults, completeness, verdicts."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from typing import Literal

from optbridge.frameworks import recorded_file
from optbridge.mappings import MappingFile

from .coverage import coverage_problems
from .displayed import displayed_problems
from .resolve import NotInstalled, Unresolved, resolve_api, resolve_counterpart
from .signatures import signature_problems
from .verdicts import run_check

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Claim:
    file: str
    where: str  # field path of what is claimed, e.g. "parameters[3]" or "checks.eps"
    what: str
    status: Status
    detail: str = ""

    def line(self) -> str:
        return f"{self.file}: {self.where}: {self.what}: {self.status.upper()} {self.detail}".strip()


@dataclass
class MappingReport:
    item: MappingFile
    claims: list[Claim] = field(default_factory=list)
    #: What the rows were compared with, for the page's verification note.
    checked_against: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Claim]:
        return [c for c in self.claims if c.status == "fail"]


def _decode(value: object) -> object:
    # The recorder writes tuples as {"tuple": [...]}, since JSON has none.
    if isinstance(value, dict) and set(value) == {"tuple"}:
        return tuple(value["tuple"])
    return value


class _Recorded:
    """A signature recorded from the real framework (``make goldens``)."""

    def __init__(self, entries: list[dict]) -> None:
        self.__signature__ = inspect.Signature([
            inspect.Parameter(
                e["name"], getattr(inspect.Parameter, e["kind"]),
                default=(inspect.Parameter.empty if e["default"] == "<required>"
                         else _decode(e["default"])),
            )
            for e in entries
        ])
        #: Older recordings spell every named parameter POSITIONAL_OR_KEYWORD.
        self.kinds_known = any(e["kind"] == "KEYWORD_ONLY" for e in entries)

    def __call__(self) -> None:  # pragma: no cover - only its signature is read
        raise TypeError("a recorded signature")


def _displayed_claims(report: MappingReport, side: str, obj: object, label: str,
                      kinds_known: bool = True) -> None:
    """The signature line shown on the page, parameter by parameter."""
    api = getattr(report.item.mapping, side)
    problems = displayed_problems(api.signature, inspect.signature(obj), kinds_known=kinds_known)
    file = str(report.item.path)
    what = f"displayed signature vs {label}"
    report.claims += [Claim(file, f"{side}.signature", what, "fail", p) for p in problems]
    if not problems:
        report.claims.append(Claim(file, f"{side}.signature", what, "pass"))


def _signature_claims(report: MappingReport, side: str, obj: object, label: str) -> None:
    problems = signature_problems(report.item.mapping, side, obj)
    file = str(report.item.path)
    for where, problem in problems:
        report.claims.append(Claim(file, where, f"{side} names and defaults vs {label}", "fail",
                                   problem))
    if not problems:
        report.claims.append(Claim(file, side, f"names and defaults vs {label}", "pass"))
    report.checked_against.append(label)


def check_mapping(item: MappingFile, recorded: bool = False) -> MappingReport:
    """Every claim of ``item``; ``recorded``: also against the data each framework's room holds
    (:func:`optbridge.frameworks.recorded_file`), recorded from the real package."""
    report = MappingReport(item)
    file = str(item.path)
    mapping = item.mapping
    for side in ("source", "target"):
        api = getattr(mapping, side)
        displayed = False
        try:
            real = resolve_api(api.api)
        except NotInstalled as exc:
            report.claims.append(Claim(file, f"{side}.api", f"live signature of {api.api}",
                                       "skip", str(exc)))
        except Unresolved as exc:
            report.claims.append(Claim(file, f"{side}.api", f"{api.api} exists", "fail", str(exc)))
        else:
            version = getattr(__import__(real.__module__.split(".")[0]), "__version__", "")
            label = f"{api.api} {version}".strip()
            _signature_claims(report, side, real, label)
            _displayed_claims(report, side, real, label)
            displayed = True
        path = recorded_file(api.api) if recorded else None
        if path is not None:
            data = json.loads(path.read_text(encoding="utf-8"))
            label = f"{data['framework']} {data['framework_version']} (recorded)"
            if data.get("derived_from_source"):
                label = f"{data['framework']} source (derived)"
            signature = _Recorded(data["signature"])
            _signature_claims(report, side, signature, label)
            if not displayed:
                _displayed_claims(report, side, signature, label, signature.kinds_known)
                displayed = True
        if not displayed:
            status = "skip" if not recorded else "fail"
            report.claims.append(Claim(file, f"{side}.signature", "displayed signature", status,
                                       f"{api.api} is not installed and no recorded signature "
                                       "is " + ("read (--no-recorded)" if not recorded else
                                                "in optbridge/frameworks/*/data")))
        if api.counterpart.startswith("optbridge."):
            try:
                counterpart = resolve_counterpart(api.counterpart)
            except Unresolved as exc:
                report.claims.append(Claim(file, f"{side}.counterpart", api.counterpart, "fail",
                                           str(exc)))
            else:
                _signature_claims(report, side, counterpart, api.counterpart.replace(":", "."))
    users: dict[str, list[str]] = {}
    for i, row in enumerate(mapping.parameters):
        for name in row.checks:
            users.setdefault(name, []).append(f"parameters[{i}]")
    for i, diff in enumerate(mapping.differences):
        for name in diff.checks:
            users.setdefault(name, []).append(f"differences[{i}]")
    coverage = coverage_problems(mapping)
    report.claims += [Claim(file, where, "checks exercise their rows", "fail", problem)
                      for where, problem in coverage]
    if not coverage:
        report.claims.append(Claim(file, "checks", "every check is used and exercises its rows",
                                   "pass"))
    for name, check in mapping.checks.items():
        verdict = run_check(mapping, check)
        proves = ", ".join(users.get(name, [])) or "no row"
        report.claims.append(Claim(file, f"checks.{name}", f"{check.kind} check for {proves}",
                                   "pass" if verdict.passed else "fail", verdict.detail))
    return report
