"""Build the site in every language, in one process: ``python -m optbridge.sphinxext.build``.

The languages share their imports (Sphinx, the theme, matplotlib, torch), which separate
``sphinx-build`` runs would each pay again; a rebuild after a small edit is mostly that cost.
The first language executes the gallery, the next ones reuse its results.
"""

from __future__ import annotations

import argparse
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
    for language in args.languages:
        status = build_main([
            "-b", "html", "-c", ".", *args.sphinx_options, "-D", f"language={language}",
            "-d", str(args.doctrees / language), str(args.source), str(args.out / language),
        ])
        if status:
            print(f"The {language} build failed.", file=sys.stderr)
            return status
    write_landing(args.out)
    print(f"Built {args.out}/index.html ({', '.join(args.languages)}) "
          f"in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
