"""``make bench``'s first-step row: install the package as a user would and time its first step.

``pip install <checkout>`` into a fresh virtual environment (``setup.py`` compiles the CPU kernel
into the package then), and one ``FusedRMSprop`` step from another folder with an empty kernel
cache, so nothing a developer's machine has already built can help. The target: the first step
takes no longer than a later one plus a second.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import optbridge

FIRST_STEP_SLACK_S = 1.0
PACKAGE_FILES = ("pyproject.toml", "setup.py", "README.md")
_STEPS = r"""
import json, sys, time, torch
from optbridge.bench import make_params
from optbridge.engine.kernels import cpu
from optbridge.optim import FusedRMSprop
opt = FusedRMSprop(make_params("c"))
times = []
for _ in range(3):
    start = time.perf_counter()
    opt.step()
    times.append(time.perf_counter() - start)
print(json.dumps({"times": times, "kernel": cpu.load() is not None,
                  "from_package": cpu.load() is not None and cpu.installed_path().exists()}))
"""


@dataclass
class FirstStep:
    """What a fresh install measured, or why it could not."""

    install_s: float | None = None
    first_s: float | None = None
    later_s: float | None = None  # the faster of the second and third steps
    kernel_from_package: bool = False
    said: str = ""  # what the first step printed on stderr
    failure: str = ""

    @property
    def met(self) -> bool:
        return (self.first_s is not None and self.later_s is not None
                and self.first_s <= self.later_s + FIRST_STEP_SLACK_S)


def checkout() -> Path | None:
    """The source tree this package runs from, if it is a checkout (not an installed wheel)."""
    root = Path(optbridge.__file__).resolve().parents[2]
    return root if all((root / name).is_file() for name in PACKAGE_FILES) else None


def copy_sources(source: Path, destination: Path) -> Path:
    """The files a build of the package reads, copied to ``destination``: building there leaves
    the checkout untouched, and no leftover of an earlier build (setuptools' ``build/``) can
    slip into the wheel."""
    destination.mkdir(parents=True)
    for name in PACKAGE_FILES:
        shutil.copy2(source / name, destination / name)
    shutil.copytree(source / "src", destination / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "compiled"))
    return destination


def measure(timeout_s: float = 900.0) -> FirstStep:
    """Fresh venv, ``pip install`` of the checkout, then the first steps in another folder."""
    source = checkout()
    if source is None:
        return FirstStep(failure="not run from a checkout; nothing to install")
    with tempfile.TemporaryDirectory(prefix="optbridge-fresh-") as tmp:
        env_dir, elsewhere, cache = Path(tmp, "venv"), Path(tmp, "elsewhere"), Path(tmp, "cache")
        elsewhere.mkdir()
        venv.create(env_dir, with_pip=True)
        python = str(env_dir / "bin" / "python")
        start = time.perf_counter()
        try:
            package = copy_sources(source, Path(tmp, "package"))
            done = subprocess.run([python, "-m", "pip", "install", "--quiet", str(package)],
                                  capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            return FirstStep(failure=f"pip install took over {timeout_s:.0f} s")
        install_s = time.perf_counter() - start
        if done.returncode != 0:
            return FirstStep(install_s, failure="pip install failed: "
                             + (done.stderr.strip().splitlines() or ["?"])[-1][:120])
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("OPTBRIDGE_")},
               "OPTBRIDGE_CACHE_DIR": str(cache)}
        done = subprocess.run([python, "-c", _STEPS], cwd=elsewhere, env=env,
                              capture_output=True, text=True, timeout=timeout_s, check=False)
        if done.returncode != 0:
            return FirstStep(install_s, failure="the steps failed: "
                             + (done.stderr.strip().splitlines() or ["?"])[-1][:120])
        result = json.loads(done.stdout.strip().splitlines()[-1])
        first, *later = result["times"]
        return FirstStep(install_s, first, min(later), result["from_package"],
                         said=" / ".join(done.stderr.strip().splitlines())[:200])


def format_first_step(result: FirstStep) -> str:
    """Lines for the bench's output: the figures and the target's verdict."""
    if result.failure:
        return f"- first step after a fresh install: not measured ({result.failure})"
    verdict = "met" if result.met else "MISSED"
    source = ("the kernel compiled at install" if result.kernel_from_package
              else "no kernel from the install")
    said = f"; it printed: {result.said}" if result.said else "; it printed nothing"
    return (f"- first step after a fresh `pip install` (25 x 1M, {source}, install "
            f"{result.install_s:.0f} s): {1e3 * result.first_s:.1f} ms, later steps "
            f"{1e3 * result.later_s:.1f} ms (target: first <= later + "
            f"{FIRST_STEP_SLACK_S:.0f} s): {verdict}{said}")


if __name__ == "__main__":  # the row alone: python -m optbridge.bench_install
    print(format_first_step(measure()))
