"""What ran, in words: the phrases a page uses about a recorded run, built from the record.

The native snippets' records and the port scripts' records name what really ran: the framework
and its version, the device, whether that was a simulation (``"simulated"``) and the CPU
instruction set. Every label, caption and sentence about a run is made here from those fields,
in both languages, so that a page says what ran and nothing more: a run is called real only when
its record says ``"simulated": false``, a simulated run names what stood in for the framework,
and a script that did not run is said not to have run, for a reason given in the reader's
language (the record keeps its English text as data).

Record text reaches a page only after it matched a strict pattern here; the instruction-set
label goes in as inline code, so that its underscores never become markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from optbridge.mappings.vocabulary import Language


class RecordError(ValueError):
    """A field of a record that a page shows is missing or malformed; the message names both."""


#: The devices a record may name, in each language. A device in SIMULATED_DEVICES is itself a
#: simulation, so a record naming it must say ``"simulated": true``.
DEVICES: dict[str, dict[Language, str]] = {
    "CPU": {"en": "CPU", "zh": "CPU"},
    "simulated NPU": {"en": "simulated NPU", "zh": "模拟 NPU"},
}
SIMULATED_DEVICES = frozenset({"simulated NPU"})
#: Why a port script of a given style is not run (``optbridge.port.real.NOT_RUNNABLE`` writes
#: the English reason into the record; the page says it in its own language).
NOT_RUN_WHY: dict[str, dict[Language, str]] = {
    "oneflow": {"en": "the oneflow package on PyPI is a placeholder that raises on import",
                "zh": "PyPI 上的 oneflow 包只是一个导入即报错的占位包"},
}
PATTERNS = {
    "framework": re.compile(r"^[A-Za-z_ ]{1,40}$"),
    "version": re.compile(r"^[0-9A-Za-z.+-]{1,40}$"),
    "isa": re.compile(r"^[A-Za-z0-9 ,.;:=()_-]{1,160}$"),
}
PHRASES: dict[str, dict[Language, str]] = {
    "real": {"en": "the real {framework} {version} ({device})",
             "zh": "真实的 {framework} {version}（{device}）"},
    "simulated": {"en": "{framework} {version} on the {device} (a simulation, not {shown} itself)",
                  "zh": "{framework} {version} 加{device}（模拟运行，并非 {shown} 本身）"},
    "legend_real": {"en": "real", "zh": "真实运行"},
    "identical": {"en": "the weights are identical", "zh": "权重完全相同"},
    "differ": {"en": "the weights differ by at most {gap}", "zh": "权重最多相差 {gap}"},
}


def _same(text: str) -> str:
    return text


@dataclass(frozen=True)
class Run:
    """One recorded run: what really ran."""

    framework: str  # display name of the framework that ran, e.g. ``PyTorch``
    version: str
    device: str  # a key of DEVICES
    simulated: bool

    def words(self, shown: str, language: Language,
              escape: Callable[[str], str] = _same) -> str:
        """``the real MindSpore 2.10.0 (CPU)``, or for a simulation ``PyTorch 2.13.0+cpu on
        the simulated NPU (a simulation, not torch_npu itself)``; ``shown`` is the framework
        the script is written for, ``escape`` makes record text literal in the page's markup."""
        return PHRASES["simulated" if self.simulated else "real"][language].format(
            framework=escape(self.framework), version=escape(self.version),
            device=DEVICES[self.device][language], shown=escape(shown))

    def legend(self, language: Language) -> str:
        """A figure legend's note: ``real``, or what stood in, e.g. ``PyTorch 2.13.0 +
        simulated NPU`` (the release, without the build's local label)."""
        if not self.simulated:
            return PHRASES["legend_real"][language]
        release = self.version.split("+")[0]
        return f"{self.framework} {release} + {DEVICES[self.device][language]}"


def _field(data: Mapping[str, Any], field: str, where: str, kind: type = str) -> Any:
    value = data.get(field)
    if not isinstance(value, kind):
        raise RecordError(f"{where}: field {field!r} missing or not a {kind.__name__}")
    return value


def _text(data: Mapping[str, Any], field: str, where: str, pattern: str) -> str:
    value = _field(data, field, where)
    if not PATTERNS[pattern].match(value):
        raise RecordError(f"{where}: field {field!r} is malformed: {value!r}")
    return value


def run_of(data: Mapping[str, Any], where: str, version: str = "version") -> Run:
    """The run a record (or one side of a port record) describes; ``version`` names the field
    holding the framework's version (``framework_version`` in a native snippet's record)."""
    device = _field(data, "device", where)
    if device not in DEVICES:
        raise RecordError(f"{where}: field 'device' is {device!r}, not one of "
                          f"{', '.join(map(repr, DEVICES))} (optbridge.sphinxext.runs.DEVICES)")
    simulated = _field(data, "simulated", where, bool)
    if device in SIMULATED_DEVICES and not simulated:
        raise RecordError(f"{where}: device {device!r} is a simulation, but field 'simulated' "
                          "is false")
    return Run(_text(data, "framework", where, "framework"),
               _text(data, version, where, "version"), device, simulated)


def isa_code(data: Mapping[str, Any], where: str) -> str:
    """The record's instruction-set label as inline code (its pattern admits no backtick)."""
    return f"`{_text(data, 'isa', where, 'isa')}`"


def gap_words(gap: float, language: Language) -> str:
    """``the weights are identical`` for a gap of zero, else ``... differ by at most 1.1e-06``."""
    if gap == 0:
        return PHRASES["identical"][language]
    return PHRASES["differ"][language].format(gap=f"{gap:.2g}")


def not_run_why(style: str, language: Language, where: str) -> str:
    """Why a port script of ``style`` did not run, in ``language``."""
    if style not in NOT_RUN_WHY:
        raise RecordError(f"{where}: a {style} script did not run, and "
                          "optbridge.sphinxext.runs.NOT_RUN_WHY does not say why")
    return NOT_RUN_WHY[style][language]
