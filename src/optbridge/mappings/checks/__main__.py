"""``make check``: every claim of every mapping file, as a table; exit 1 if any fails."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from optbridge.mappings import MappingError, MappingFile, load_all, load_mapping
from optbridge.mappings.loader import display_path

from .report import check_mapping


def folder(text: str) -> Path:
    """An argparse type: an existing folder (a mistyped one would silently drop claims)."""
    if not text.strip():  # Path("") is the current folder: never what an empty value meant
        raise argparse.ArgumentTypeError("empty path; name a folder")
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: no such folder")
    return path


def tables(text: str) -> Path:
    """An argparse type: the folder of mapping files, or one mapping file to check alone."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "empty path; name the folder of mapping files or one mapping file")
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such folder or file")
    if not (path.is_dir() or path.is_file()):
        raise argparse.ArgumentTypeError(f"{text}: neither a folder nor a regular file")
    return path


def missing_examples(items: list[MappingFile], examples: Path) -> list[str]:
    """One line per ``[[examples]]`` entry whose script is not in ``examples``."""
    return [
        f"{display_path(item.path)}: examples[{i}].script: "
        f"{display_path(examples / f'{entry.script}.py')} does not exist"
        for item in items
        for i, entry in enumerate(item.mapping.examples)
        if not (examples / f"{entry.script}.py").is_file()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m optbridge.mappings.checks")
    parser.add_argument("mappings", nargs="?", default="docs/mappings", type=tables,
                        help="the folder of mapping files (default: docs/mappings) or one file, "
                             "<framework>/<name>.toml")
    parser.add_argument("--no-recorded", dest="recorded", action="store_false",
                        help="skip the comparisons with the data recorded from the real frameworks")
    parser.add_argument("--examples", default="examples", type=folder,
                        help="the gallery scripts the mapping pages embed")
    parser.add_argument("--verbose", "-v", action="store_true", help="print passing claims too")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        items = ([load_mapping(args.mappings)] if args.mappings.is_file()
                 else load_all(args.mappings))
    except MappingError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    problems = missing_examples(items, args.examples)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    totals = {"pass": 0, "fail": 0, "skip": 0}
    #: The signature lines shown at the top of the pages, counted apart from the rest.
    displayed = dict.fromkeys(totals, 0)
    print(f"{'mapping':<48} {'pass':>5} {'fail':>5} {'skip':>5}")
    failures = []
    for item in items:
        report = check_mapping(item, recorded=args.recorded)
        counts = {s: sum(c.status == s for c in report.claims) for s in totals}
        for status, n in counts.items():
            totals[status] += n
        for claim in report.claims:
            if claim.where.endswith(".signature"):
                displayed[claim.status] += 1
        print(f"{item.slug:<48} {counts['pass']:>5} {counts['fail']:>5} {counts['skip']:>5}")
        failures += report.failures
        if args.verbose:
            for claim in report.claims:
                print("    " + claim.line())
    print(f"{'total':<48} {totals['pass']:>5} {totals['fail']:>5} {totals['skip']:>5}"
          f"   ({time.perf_counter() - start:.1f} s)")
    print(f"{'of which displayed signatures':<48} {displayed['pass']:>5} {displayed['fail']:>5} "
          f"{displayed['skip']:>5}")
    for claim in failures:
        print(claim.line(), file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
