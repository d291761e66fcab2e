"""Run an unmodified torch_npu script on the simulated NPU.

    python -m optbridge.run script.py [args...]
    python -m optbridge.run folder [args...]      (a folder or zip file with __main__.py)
    python -m optbridge.run -m package.module [args...]

Installs the simulated NPU and makes `import torch_npu` (and `torch_npu.npu`, `torch_npu.npu.amp`,
`torch_npu.optim`) resolve to it, then runs the script as `__main__` with the remaining
arguments. When the real torch_npu is installed, nothing is simulated: the script runs on the
hardware. What python itself refuses is refused in one line with python's exit status: a
script that cannot be opened (2), a module that cannot be found or a folder without
``__main__.py`` (1).
"""

from __future__ import annotations

import importlib.machinery
import os
import runpy
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

USAGE = "usage: python -m optbridge.run (script.py | folder | -m module) [args...]"


def alias_torch_npu() -> None:
    """Install the simulated NPU and register it under the module names torch_npu uses."""
    import optbridge.npu as simulated

    simulated.install()
    from optbridge.npu import amp, device_module, optim

    aliases = {
        "torch_npu": simulated,
        "torch_npu.npu": device_module,
        "torch_npu.npu.amp": amp,
        "torch_npu.optim": optim,
    }
    for name, module in aliases.items():
        sys.modules.setdefault(name, module)


def _is_archive(path: str) -> bool:
    """A folder or zip file: python runs the ``__main__`` module found in it."""
    return os.path.isdir(path) or zipfile.is_zipfile(path)


def _path_problem(path: str) -> tuple[str, int] | None:
    """Why ``python path`` would not run (python's message and exit status), or None."""
    if _is_archive(path):
        if importlib.machinery.PathFinder.find_spec("__main__", [path]) is None:
            return f"can't find '__main__' module in {path!r}", 1
        return None
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        return f"cannot open script {path!r}: {error.strerror}", 2
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not args else sys.stdout)
        return 2 if not args else 0
    # Usage errors first: they need no torch import.
    if args[0] == "-m" and len(args) < 2:
        print(f"optbridge.run: -m needs a module name\n{USAGE}", file=sys.stderr)
        return 2
    if args[0] != "-m":
        problem = _path_problem(args[0])
        if problem:
            print(f"optbridge.run: {problem[0]}", file=sys.stderr)
            return problem[1]

    from optbridge.npu import real_torch_npu_available

    if not real_torch_npu_available():
        alias_torch_npu()
    if args[0] == "-m":
        try:
            # The lookup `python -m` runs first (runpy._run_module_as_main): a module that is not
            # there is one line and status 1 there; run_module would raise a bare ImportError,
            # indistinguishable from one raised by the module's own code.
            runpy._get_module_details(args[1], runpy._Error)  # type: ignore[attr-defined]
        except runpy._Error as error:  # type: ignore[attr-defined]
            print(f"optbridge.run: {error}", file=sys.stderr)
            return 1
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return 0
    script = args[0]
    sys.argv = [script, *args[1:]]
    if not _is_archive(script):  # run_path puts a folder or zip itself first on sys.path
        sys.path.insert(0, str(Path(script).resolve().parent))  # as `python script.py` does
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
