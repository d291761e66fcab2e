"""Check that every table's stated port gap is what the simulation measures (run by ``make
test`` through ``tests/port``); ``--write`` re-states the measured gaps in the tables.

    python -m optbridge.port.check [--write] [docs/mappings]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from optbridge.mappings import MappingFile, load_all

from .measure import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, Gap, measure
from .page import example


def measured(item: MappingFile) -> Gap:
    return measure(example(item.mapping))


def gap_problem(item: MappingFile) -> str | None:
    """``None`` when the stated gap is the measured one, else one line saying how they differ."""
    port = item.mapping.port
    if port is None:
        return None
    gap = measured(item)
    if gap.matches(port.gap.weights, port.gap.near_eps):
        return None
    return (
        f"{item.path}: port.gap: states weights={port.gap.weights:g}, "
        f"near_eps={port.gap.near_eps}, the simulation measures weights={gap.weights:.3g}, "
        f"near_eps={None if gap.near_eps is None else float(f'{gap.near_eps:.3g}')} "
        f"(tolerance {RELATIVE_TOLERANCE:.0%} + {ABSOLUTE_TOLERANCE:g})"
    )


def write_gap(item: MappingFile) -> None:
    """Replace the ``gap = {...}`` line of the table with the measured values."""
    gap = measured(item)
    parts = [f"weights = {gap.weights:.3g}"]
    if gap.near_eps is not None:
        parts.append(f"near_eps = {gap.near_eps:.3g}")
    text = item.path.read_text(encoding="utf-8")
    line = "gap = { " + ", ".join(parts) + " }"
    item.path.write_text(re.sub(r"^gap = \{.*\}$", line, text, flags=re.MULTILINE), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m optbridge.port.check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tables", nargs="?", type=Path, default=Path("docs/mappings"))
    parser.add_argument("--write", action="store_true", help="re-state the measured gaps")
    args = parser.parse_args(argv)
    problems = []
    for item in load_all(args.tables):
        if args.write and item.mapping.port is not None:
            write_gap(item)
        elif (problem := gap_problem(item)) is not None:
            problems.append(problem)
    print("\n".join(problems) or "every stated port gap is the measured one")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
