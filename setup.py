"""Compile the CPU kernel when the package is built (``pip install .``), as torch extension
packages do, so that a user's first ``step()`` loads it instead of compiling it. The kernel's
loops are built for every CPU capability torch dispatches between (``DEFAULT``, ``AVX2``,
``AVX512``) and picked at run time, so the wheel is not bound to the building CPU. Everything
else about the package is in ``pyproject.toml``."""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution


class BuildPyWithKernel(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install compiles into the cache (make setup)
            return
        sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
        from optbridge.engine.kernels import cpu

        target = cpu.installed_path(Path(self.build_lib) / "optbridge")
        try:
            cpu.build(target=target)
        except (RuntimeError, OSError) as exc:
            # No compiler here: the package still installs; the first step compiles the
            # kernel (saying so) or, without a compiler there either, warns and uses torch ops.
            print(f"optbridge: CPU kernel not compiled at install ({exc})", file=sys.stderr)
        else:
            print(f"optbridge: CPU kernel compiled into {target.parent}", file=sys.stderr)


class BinaryDistribution(Distribution):
    """The wheel holds compiled code: tag it for this Python and platform."""

    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildPyWithKernel}, distclass=BinaryDistribution)
