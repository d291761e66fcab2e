"""Run an unmodified torch_npu script on the simulated NPU.

    python -m optbridge.run script.py [args...]
    python -m optbridge.run -m package.module [args...]

Installs the simulated NPU and makes `import torch_npu` (and `torch_npu.npu`, `torch_npu.npu.amp`,
`torch_npu.optim`) resolve to it, then runs the script as `__main__` with the remaining
arguments. When the real torch_npu is installed, nothing is simulated: the script runs on the
hardware.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

USAGE = "usage: python -m optbridge.run (script.py | -m module) [args...]"


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
        try:
            with open(args[0], "rb"):
                pass
        except OSError as error:
            print(
                f"optbridge.run: cannot open script {args[0]!r}: {error.strerror}", file=sys.stderr
            )
            return 2

    from optbridge.npu import real_torch_npu_available

    if not real_torch_npu_available():
        alias_torch_npu()
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        return 0
    script = args[0]
    sys.argv = [script, *args[1:]]
    sys.path.insert(0, str(Path(script).resolve().parent))  # as `python script.py` does
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
