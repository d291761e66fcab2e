"""Native snippets: one complete script per side of a mapping, and their recorded real runs.

Layout (``examples/native`` is outside sphinx-gallery's ``filename_pattern``)::

    examples/native/<source framework>/<mapping stem>/train_<room>.py
    src/optbridge/frameworks/<room>/snippets/<source framework>/<mapping stem>.json

``<room>`` is the framework's room (``torch``, ``keras``, ``tf1``, ``mindspore``, ...).

Every snippet prints ``step N  loss X`` per step, then ``weight [...]`` and ``bias [...]``; a
line of other text before a run labels it (a snippet may train twice, e.g. Keras ``fit`` and a
``GradientTape`` loop). :func:`parse_output` turns that into a trajectory.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Repository root (``src/optbridge/native`` -> three levels up).
ROOT = Path(__file__).resolve().parents[3]
SNIPPETS_DIR = ROOT / "examples" / "native"
FRAMEWORKS_DIR = ROOT / "src" / "optbridge" / "frameworks"
SNIPPET_NAME = re.compile(r"^train_(?P<room>[a-z0-9_]+)\.py$")

#: Frameworks whose snippets are shown but cannot be run here, and why (shown on the page).
NOT_EXECUTED = {
    "oneflow": {
        "en": "Not executed: the `oneflow` package on PyPI is a placeholder that raises on "
              "import, and OneFlow publishes no wheel for this platform; the figure shows our "
              "simulation of OneFlow's rule instead.",
        "zh": "未运行：PyPI 上的 `oneflow` 包只是一个导入即报错的占位包，OneFlow 也没有发布适用于"
              "本平台的安装包；图中显示的是我们对 OneFlow 规则的模拟。",
    },
}

STEP_LINE = re.compile(r"^step\s+(\d+)\s+loss\s+(\S+)$")
VECTOR_LINE = re.compile(r"^(weight|bias)\s+\[([^\]]*)\]$")


class SnippetError(Exception):
    """A snippet, its output or its record is malformed; the message names the file."""


@dataclass(frozen=True)
class Snippet:
    path: Path
    source: str  # source framework of the mapping (folder under examples/native)
    stem: str  # mapping file stem, e.g. ``RMSprop-mindspore``
    room: str  # framework room this snippet is written for (``train_<room>.py``)
    records: Path = FRAMEWORKS_DIR  # folder of the framework rooms holding the records

    @property
    def slug(self) -> str:
        return f"{self.source}/{self.stem}"

    @property
    def relative(self) -> str:
        return self.path.relative_to(ROOT).as_posix() if self.path.is_relative_to(ROOT) \
            else self.path.as_posix()

    @property
    def record_path(self) -> Path:
        return self.records / self.room / "snippets" / self.source / f"{self.stem}.json"

    @property
    def executed(self) -> bool:
        return self.room not in NOT_EXECUTED

    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(root: Path = SNIPPETS_DIR, records: Path = FRAMEWORKS_DIR) -> list[Snippet]:
    """Every snippet under ``root``; a stray ``.py`` file there is an error, not ignored."""
    from optbridge.frameworks import registry

    snippets = []
    for path in sorted(root.glob("*/*/*.py")):
        match = SNIPPET_NAME.match(path.name)
        if not match:
            raise SnippetError(f"{path}: snippet files are named train_<framework room>.py")
        if match.group("room") not in registry():
            raise SnippetError(f"{path}: no framework room {match.group('room')!r} (rooms: "
                               f"{', '.join(registry())})")
        snippets.append(Snippet(path, path.parent.parent.name, path.parent.name,
                                match.group("room"), records))
    stray = sorted(set(root.rglob("*.py")) - {s.path for s in snippets})
    if stray:
        raise SnippetError(f"{stray[0]}: not at examples/native/<source>/<mapping>/train_*.py")
    return snippets


def for_mapping(slug: str, root: Path = SNIPPETS_DIR) -> dict[str, Snippet]:
    """The snippets of one mapping, by room."""
    return {s.room: s for s in discover(root) if s.slug == slug}


def _floats(text: str, where: str) -> list[float]:
    try:
        return [float(v) for v in text.split()]
    except ValueError:
        raise SnippetError(f"{where}: not a list of numbers: [{text}]") from None


def last_digit(token: str) -> int:
    """The power of ten of the last digit printed in ``token``: ``-6`` for ``3.185902``, ``-7``
    for ``1.25e-05``, ``0`` for ``42``."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return int(exponent or 0) - decimals


def _new_run() -> dict[str, Any]:
    return {"label": None, "losses": [], "printed_digit": {}}


def _note_digits(run: dict[str, Any], field: str, text: str) -> None:
    """Keep the coarsest last digit printed in ``field`` (what rounding can move it by)."""
    coarsest = max((last_digit(t) for t in text.split()), default=0)
    run["printed_digit"][field] = max(coarsest, run["printed_digit"].get(field, coarsest))


def parse_output(output: str, where: str) -> list[dict[str, Any]]:
    """The runs printed by a snippet: ``[{label, losses, weight, bias, printed_digit}, ...]``,
    ``printed_digit`` giving, per field, the power of ten of its coarsest last printed digit."""
    runs: list[dict[str, Any]] = []
    current: dict[str, Any] = _new_run()
    for number, line in enumerate(output.splitlines(), start=1):
        line = line.strip()
        step = STEP_LINE.match(line)
        vector = VECTOR_LINE.match(line)
        if step:
            if int(step.group(1)) != len(current["losses"]) + 1:
                raise SnippetError(f"{where}: line {number}: step {step.group(1)} out of order")
            current["losses"].append(_floats(step.group(2), f"{where}: line {number}")[0])
            _note_digits(current, "losses", step.group(2))
        elif vector:
            current[vector.group(1)] = _floats(vector.group(2), f"{where}: line {number}")
            _note_digits(current, vector.group(1), vector.group(2))
            if vector.group(1) == "bias":
                if not current["losses"] or "weight" not in current:
                    raise SnippetError(f"{where}: line {number}: bias before steps and weight")
                runs.append(current)
                current = _new_run()
        elif line and not current["losses"]:
            current["label"] = line
    if not runs:
        raise SnippetError(f"{where}: printed no run (step/weight/bias lines)")
    return runs


REQUIRED_FIELDS = {
    "snippet": str, "sha256": str, "framework": str, "framework_version": str,
    "packages": dict, "python": str, "platform": str, "device": str, "simulated": bool,
    "isa": str, "date": str, "command": str, "output": str, "trajectory": list, "apis": dict,
}
SAFE_TEXT = {
    "framework": re.compile(r"^[A-Za-z_ ]{1,40}$"),
    "framework_version": re.compile(r"^[0-9A-Za-z.+-]{1,40}$"),
    "python": re.compile(r"^\d+\.\d+\.\d+$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "device": re.compile(r"^[A-Za-z ()]{1,40}$"),
    "isa": re.compile(r"^[A-Za-z0-9 ,.;:=()_-]{1,160}$"),
    "sha256": re.compile(r"^[0-9a-f]{64}$"),
}


def load_record(path: Path) -> dict[str, Any]:
    """A record, validated: every field present with its type, short fields well formed, and a
    trajectory that is the parse of the recorded output."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnippetError(f"{path}: unreadable record: {exc}") from None
    if not isinstance(record, dict):
        raise SnippetError(f"{path}: a record is a JSON object")
    for field, kind in REQUIRED_FIELDS.items():
        if not isinstance(record.get(field), kind):
            raise SnippetError(f"{path}: field {field!r} missing or not a {kind.__name__}")
    for field, pattern in SAFE_TEXT.items():
        if not pattern.match(record[field]):
            raise SnippetError(f"{path}: field {field!r} is malformed: {record[field]!r}")
    if parse_output(record["output"], f"{path}: output") != record["trajectory"]:
        raise SnippetError(f"{path}: field 'trajectory' does not match field 'output'")
    return record


def write_record(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
