"""Build the site in every language, in one process: ``python -m optbridge.sphinxext.build``.

The languages share their imports (Sphinx, the theme, matplotlib, torch), which separate
``sphinx-build`` runs would each pay again; a rebuild after a small edit is mostly that cost.
The first language executes the gallery, the next ones reuse its results.

Sphinx writes every page it can even when the build fails, so the site is built in a copy of
the output folder that replaces it only when every language succeeded: a failed build (a false
claim, a poisoned table) leaves the previous site as it was and no new page behind.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from sphinx.cmd.build import build_main

from .landing import write_landing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m optbridge.sphinxext.build")
    parser.add_argument("--languages", nargs="+", default=["en", "zh_CN"])
    parser.add_argument("--source", type=Path, default=Path("docs"))
    parser.add_argument("--out", type=Path, default=Path("build/html"))
    parser.add_argument("--doctrees", type=Path, default=Path("build/doctrees"))
    parser.add_argument("sphinx_options", nargs="*", help="passed to Sphinx, after --")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    staging = args.out.with_name(args.out.name + ".partial")
    _remove(staging)
    if args.out.is_dir():  # copy2 keeps the times Sphinx compares to skip unchanged pages
        shutil.copytree(args.out, staging, symlinks=True)
    try:
        for language in args.languages:
            status = build_main([
                "-b", "html", "-c", ".", *args.sphinx_options, "-D", f"language={language}",
                "-d", str(args.doctrees / language), str(args.source), str(staging / language),
            ])
            if status:
                print(f"The {language} build failed; {args.out} is unchanged.", file=sys.stderr)
                return status
        write_landing(staging)
        _replace(args.out, staging)
    finally:
        _remove(staging)
    print(f"Built {args.out}/index.html ({', '.join(args.languages)}) "
          f"in {time.perf_counter() - start:.0f} s")
    return 0


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)


def _replace(out: Path, staging: Path) -> None:
    """Put the new site in place with two renames, so no reader sees half of each."""
    previous = out.with_name(out.name + ".previous")
    _remove(previous)
    if out.exists():
        out.rename(previous)
    staging.rename(out)
    _remove(previous)


if __name__ == "__main__":
    sys.exit(main())
