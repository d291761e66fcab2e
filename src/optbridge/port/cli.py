"""``python -m optbridge.port``: port RMSprop/Rprop constructions to another framework.

    python -m optbridge.port "torch.optim.RMSprop(model.parameters(), lr=1e-3)" --to mindspore
    python -m optbridge.port train.py --to mindspore [--json]

For every construction: the target code with the user's values and names, the caveats that
apply to those values, and the gap measured on the spot with the simulation.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from optbridge.mappings import Mapping, MappingError, MappingFile, load_all
from optbridge.mappings.schema import PARAMETER_LISTS

from .calls import Construction, InputError, Scan, canonical, parse_call, scan
from .frameworks import flavour
from .measure import SourceRejects, TargetRejects, measure
from .page import alternative_snippet, snippet, verdict
from .recipe import PortError, apply_recipe

TARGETS = ("mindspore", "keras", "tf1", "paddle", "optax", "oneflow", "torch_npu")
EXIT_CODES = {"exact": 0, "approximate": 1, "impossible": 3, "error": 4}
EPILOG = """exit status:
  0  every construction ports exactly (weights within float32 rounding)
  1  at least one ports approximately (the gap is printed)
  2  usage error (bad command line)
  3  at least one cannot be ported (an argument the target lacks, a value it rejects)
  4  bad input: unreadable file, syntax error, unknown optimizer API, no table for the
     pair, non-literal argument
"""
DEFAULT_TABLES = Path(__file__).resolve().parents[3] / "docs" / "mappings"


@dataclass
class Outcome:
    where: str
    source_api: str
    status: str  # exact | approximate | impossible | error
    target_api: str | None = None
    table: str | None = None
    code: str | None = None
    caveats: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    gap: dict[str, float | None] | None = None
    #: Other target APIs that reproduce the source (see the page), with the user's values.
    alternatives: list[str] = field(default_factory=list)


def _positional_names(mapping: Mapping) -> list[str]:
    text = mapping.source.signature
    arguments = text[text.index("(") :]
    function = ast.parse(f"def f{arguments}: pass").body[0]
    assert isinstance(function, ast.FunctionDef)
    return [a.arg for a in function.args.posonlyargs + function.args.args]


def tables_for(api: str, to: str, tables: list[MappingFile]) -> MappingFile:
    """The table porting ``api`` to ``to``; :class:`InputError` naming what exists otherwise."""
    sources = [t for t in tables if canonical(t.mapping.source.api) == api]
    if not sources:
        if any(canonical(t.mapping.target.api) == api for t in tables):
            raise InputError(f"{api} is only a target in the tables; nothing ports from it")
        known = sorted({t.mapping.source.api for t in tables})
        raise InputError(f"unknown optimizer API {api}; the tables port {', '.join(known)}")
    for item in sources:
        port_api = item.mapping.port.api if item.mapping.port else item.mapping.target.api
        if flavour(port_api) == to:
            return item
    offered = sorted({flavour(t.mapping.target.api) for t in sources})
    raise InputError(f"no table ports {api} to {to}; it ports to {', '.join(offered)}")


def port_construction(found: Construction, where: str, to: str, tables: list[MappingFile],
                      scheduler: bool, language: str = "en") -> Outcome:
    outcome = Outcome(f"{where}:{found.line}", found.api, "error")
    if flavour(found.api) == to:
        outcome.status, outcome.target_api = "exact", found.api
        outcome.caveats.append(f"already {to}: nothing to port")
        return outcome
    try:
        item = tables_for(found.api, to, tables)
    except InputError as exc:
        outcome.problems.append(str(exc))
        return outcome
    mapping = item.mapping
    outcome.table, outcome.target_api = item.slug, mapping.port.api if mapping.port else None
    names = _positional_names(mapping)
    if len(found.positional) > len(names):
        outcome.problems.append(f"{found.api} takes at most {len(names)} positional arguments")
        return outcome
    given, params = dict(found.keywords), None
    for name, value, text in zip(names, found.positional, found.positional_text, strict=False):
        if name in PARAMETER_LISTS:
            params = text
        else:
            given[name] = value
    for name in PARAMETER_LISTS:
        if name in given or name in found.non_literal:
            params = found.non_literal.pop(name, None) or repr(given.pop(name))
    for key, text in found.non_literal.items():
        if key.startswith("#") and names[int(key[1:])] in PARAMETER_LISTS:
            continue
        name = names[int(key[1:])] if key.startswith("#") else key
        shown = f"**{text}" if key == "**" else f"{name}={text}"
        outcome.problems.append(
            f"argument {shown} is not a literal; write the value to port it"
        )
    if outcome.problems:
        return outcome
    try:
        ported = apply_recipe(mapping, given, scheduler=scheduler)
    except PortError as exc:
        outcome.problems.append(str(exc))
        return outcome
    outcome.code = snippet(ported, params, found.target or "optimizer")
    outcome.alternatives = [alternative_snippet(ported, a, params, found.target or "optimizer")
                            for a in ported.port.alternatives]
    outcome.caveats = [c[language] for c in ported.caveats]
    if params is None and flavour(ported.port.api) not in ("keras", "tf1", "optax"):
        outcome.caveats.append(f"{found.api} takes no parameter list: `net` stands for your "
                               f"model in {to}")
    outcome.problems = [c[language] for c in ported.impossible]
    try:
        gap = measure(ported)
    except SourceRejects as exc:
        outcome.problems, outcome.code, outcome.status = [str(exc)], None, "error"
        return outcome
    except TargetRejects as exc:
        outcome.problems.append(str(exc))
        outcome.status = "impossible"
        return outcome
    outcome.gap = {"weights": gap.weights, "near_eps": gap.near_eps,
                   "steps": float(ported.port.steps)}
    outcome.status = verdict(ported, gap.weights, gap.near_eps)
    return outcome


def describe(outcome: Outcome) -> str:
    head = f"{outcome.where}: {outcome.source_api}"
    if outcome.target_api:
        head += f" -> {outcome.target_api}"
    lines = [f"{head}: {outcome.status}"]
    if outcome.code:
        lines += ["", *("    " + line if line else "" for line in outcome.code.splitlines()), ""]
    lines += [f"  cannot be matched: {p}" if outcome.status != "error" else f"  error: {p}"
              for p in outcome.problems]
    lines += [f"  caveat: {c}" for c in outcome.caveats]
    for code in outcome.alternatives:
        lines += ["  alternative (recorded on the real framework only, see the page):", "",
                  *("    " + line if line else "" for line in code.splitlines()), ""]
    if outcome.gap:
        without = ", ported without what cannot be matched" if outcome.problems else ""
        text = (f"  expected gap (simulation, {int(outcome.gap['steps'])} steps{without}): "
                f"the weights differ by at most {outcome.gap['weights']:.2g}")
        if outcome.gap["near_eps"] is not None:
            text += (f"; with gradients near eps one update differs by up to "
                     f"{outcome.gap['near_eps']:.0%}")
        lines.append(text)
    return "\n".join(lines)


def run(inputs: Scan, where: str, to: str, tables: list[MappingFile]) -> list[Outcome]:
    return [port_construction(c, where, to, tables, inputs.scheduler) for c in inputs.constructions]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m optbridge.port", description=__doc__, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", help="a constructor call as written, or a Python file")
    parser.add_argument("--to", required=True, choices=TARGETS, help="target framework")
    parser.add_argument("--json", action="store_true", help="print JSON for tools")
    parser.add_argument("--tables", type=Path, default=DEFAULT_TABLES,
                        help="folder of the mapping tables (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        tables = load_all(args.tables)
    except MappingError as exc:
        print(f"error: invalid mapping tables:\n{exc}", file=sys.stderr)
        return EXIT_CODES["error"]
    path = Path(args.input)
    try:
        if args.input.endswith(".py") or path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"{args.input}: cannot read: {exc}") from None
            where, inputs = args.input, scan(text, args.input)
            if not inputs.constructions:
                raise InputError(f"{args.input}: no RMSprop or Rprop construction found")
        else:
            where, inputs = "<call>", parse_call(args.input)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CODES["error"]
    outcomes = run(inputs, where, args.to, tables)
    if args.json:
        print(json.dumps([asdict(o) for o in outcomes], indent=1, ensure_ascii=False))
    else:
        print("\n\n".join(describe(o) for o in outcomes))
    return max(EXIT_CODES[o.status] for o in outcomes)
