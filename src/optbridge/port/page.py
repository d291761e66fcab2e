"""The data behind a page's "Port it" section: both scripts, the verdict and the stated gap.

Everything here is derived from the table (``[port]``) and, for the real runs, the committed
records; the page renderer (:mod:`optbridge.sphinxext.port_section`) and the command line read
the same functions, so they cannot disagree.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from optbridge.mappings import Mapping, MappingFile
from optbridge.mappings.port_schema import Alternative

from .frameworks import Script, construction, imports, script
from .measure import EXACT, NEAR_EPS_EXACT
from .recipe import Ported, alternative_arguments, apply_recipe

#: Where the records of the real runs live, under the Sphinx source folder (``docs/``).
RECORDS_IN_SOURCE = Path("port") / "records"
Verdict = Literal["exact", "approximate", "impossible"]


@dataclass(frozen=True)
class ScriptPair:
    source: Script
    target: Script
    #: One per ``port.alternatives`` entry, in order.
    alternatives: tuple[Script, ...] = ()


def example(mapping: Mapping) -> Ported:
    """The recipe applied to the table's example arguments (the source's own values)."""
    assert mapping.port is not None
    return apply_recipe(mapping, dict(mapping.port.example))


def target_arguments(ported: Ported) -> list[tuple[str, Any, str]]:
    return [(a.name, a.value, a.expression) for a in ported.arguments]


def scripts(mapping: Mapping) -> ScriptPair:
    """The complete source program and its port, as the page shows and the real runs execute."""
    ported = example(mapping)
    port = ported.port
    given = [(k, tuple(v) if isinstance(v, list) else v, k) for k, v in port.example.items()]
    alternatives = tuple(
        script(a.api, [(t.name, t.value, t.expression) for t in alternative_arguments(ported, a)],
               {}, port.problem, port.steps)
        for a in port.alternatives
    )
    return ScriptPair(
        script(mapping.source.api, given, {}, port.problem, port.steps),
        script(port.api, target_arguments(ported), ported.state, port.problem, port.steps),
        alternatives,
    )


def snippet(ported: Ported, params: str | None, optimizer: str = "optimizer") -> str:
    """The target's imports and construction with the user's names (the command line's output)."""
    code = construction(ported.port.api, params, target_arguments(ported), ported.state,
                        optimizer)
    return f"{imports(ported.port.api)}\n\n{code}\n"


def alternative_snippet(ported: Ported, alternative: Alternative, params: str | None,
                        optimizer: str = "optimizer") -> str:
    arguments = [(a.name, a.value, a.expression)
                 for a in alternative_arguments(ported, alternative)]
    code = construction(alternative.api, params, arguments, {}, optimizer)
    return f"{imports(alternative.api)}\n\n{code}\n"


def verdict(ported: Ported, weights: float, near_eps: float | None) -> Verdict:
    if ported.impossible:
        return "impossible"
    if weights <= EXACT and (near_eps is None or near_eps <= NEAR_EPS_EXACT):
        return "exact"
    return "approximate"


def script_hashes(mapping: Mapping) -> dict[str, str]:
    """sha256 of every script: ``source``, ``target``, ``alternative<i>``."""
    pair = scripts(mapping)
    named = [("source", pair.source), ("target", pair.target)]
    named += [(f"alternative{i}", s) for i, s in enumerate(pair.alternatives)]
    return {side: hashlib.sha256(s.text.encode()).hexdigest() for side, s in named}


def record_path(slug: str, root: Path) -> Path:
    return root / (slug.replace("/", "__") + ".json")


def real_record(item: MappingFile, root: Path) -> tuple[dict[str, Any] | None, bool]:
    """The committed record of the real run of this table's scripts, if there is one, and
    whether it is stale (a script changed since it ran)."""
    path = record_path(item.slug, root)
    if not path.is_file():
        return None, False
    data = json.loads(path.read_text(encoding="utf-8"))
    hashes = script_hashes(item.mapping)
    stale = any(data.get(side, {}).get("sha256") != hashes[side] for side in hashes)
    return data, stale


def record_problems(item: MappingFile, root: Path) -> list[str]:
    """What is wrong with the committed real-run record of ``item``: missing, stale (a script
    changed since it ran) or inconsistent (the gap is not what its own weights give)."""
    path = record_path(item.slug, root)
    command = f"python -m optbridge.port.real --only {item.slug}"
    data, stale = real_record(item, root)
    if data is None:
        return [f"{path}: missing: run {command}"]
    if stale:
        return [f"{path}: the scripts changed since they last ran: run {command}"]
    sides = [data["source"], data["target"]]
    if not all(side["ran"] for side in sides):
        return [] if data["weights_gap"] is None else [f"{path}: a gap without both runs"]
    for name, other in [("weights_gap", sides[1])] + [
            (f"alternative{i}.weights_gap", data[f"alternative{i}"])
            for i in range(len(item.mapping.port.alternatives))]:
        gap = max(abs(a - b) for a, b in zip(sides[0]["weights"], other["weights"], strict=True))
        stated = data["weights_gap"] if other is sides[1] else other["weights_gap"]
        if gap != stated:
            return [f"{path}: {name} {stated} is not the recorded weights' {gap}"]
    sides += [data[f"alternative{i}"] for i in range(len(item.mapping.port.alternatives))]
    for side in sides:
        if json.loads(side["stdout"].strip().splitlines()[-1]) != side["weights"]:
            return [f"{path}: {side['style']}: the weights are not the recorded output's"]
    return []
