"""Every claim of a mapping file, checked: names and defaults, completeness, verdicts."""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from typing import Literal

from optbridge.frameworks import recorded_file
from optbridge.mappings import MappingFile

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
    """A signature recorded from the real framework by ``make goldens``."""

    def __init__(self, entries: list[dict]) -> None:
        kinds = {"VAR_POSITIONAL": inspect.Parameter.VAR_POSITIONAL,
                 "VAR_KEYWORD": inspect.Parameter.VAR_KEYWORD}
        self.__signature__ = inspect.Signature([
            inspect.Parameter(
                e["name"], kinds.get(e["kind"], inspect.Parameter.POSITIONAL_OR_KEYWORD),
                default=(inspect.Parameter.empty if e["default"] == "<required>"
                         else _decode(e["default"])),
            )
            for e in entries
        ])

    def __call__(self) -> None:  # pragma: no cover - only its signature is read
        raise TypeError("a recorded signature")


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
        try:
            real = resolve_api(api.api)
        except NotInstalled as exc:
            report.claims.append(Claim(file, f"{side}.api", f"live signature of {api.api}",
                                       "skip", str(exc)))
        except Unresolved as exc:
            report.claims.append(Claim(file, f"{side}.api", f"{api.api} exists", "fail", str(exc)))
        else:
            version = getattr(__import__(real.__module__.split(".")[0]), "__version__", "")
            _signature_claims(report, side, real, f"{api.api} {version}".strip())
        path = recorded_file(api.api) if recorded else None
        if path is not None:
            data = json.loads(path.read_text(encoding="utf-8"))
            label = f"{data['framework']} {data['framework_version']} (recorded)"
            if data.get("derived_from_source"):
                label = f"{data['framework']} source (derived)"
            _signature_claims(report, side, _Recorded(data["signature"]), label)
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
        if row.check:
            users.setdefault(row.check, []).append(f"parameters[{i}]")
    for i, diff in enumerate(mapping.differences):
        users.setdefault(diff.check, []).append(f"differences[{i}]")
    for name, check in mapping.checks.items():
        verdict = run_check(mapping, check)
        proves = ", ".join(users.get(name, [])) or "no row"
        report.claims.append(Claim(file, f"checks.{name}", f"{check.kind} check for {proves}",
                                   "pass" if verdict.passed else "fail", verdict.detail))
    return report
