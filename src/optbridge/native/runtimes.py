"""Where each framework's snippets run: a virtual environment under ``build/frameworks/`` made
from the requirements committed in the framework's room, or the project's own interpreter."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .isa import AVX2_LIMITS
from .snippets import FRAMEWORKS_DIR, ROOT

ENVS_DIR = ROOT / "build" / "frameworks"
STAMP = ".optbridge-requirements.sha256"


class InstallError(Exception):
    """Creating or filling a framework's environment failed."""


@dataclass(frozen=True)
class Runtime:
    """How the snippets of one framework room run."""

    room: str  # the room (``optbridge/frameworks/<room>``) and ``train_<room>.py``
    distributions: tuple[str, ...]  # the first gives the version shown on the page
    #: Environment under ``build/frameworks/`` (rooms may share one: Keras and TF1); None:
    #: this interpreter, which has torch.
    env: str | None = None
    launcher: tuple[str, ...] = ()  # arguments before the script, e.g. ``-m optbridge.run``
    device: str = "CPU"
    #: The room whose framework really runs the scripts when it is not this one: torch_npu's
    #: scripts run on PyTorch with our simulated NPU, never on torch_npu itself.
    runs_on: str | None = None

    @property
    def simulated(self) -> bool:
        """True when the scripts run on a simulation of the framework or device."""
        return self.runs_on is not None

    @property
    def display(self) -> str:
        """The framework that runs the scripts, as a record names it."""
        from optbridge.frameworks import registry

        return registry()[self.runs_on or self.room].display_name

    @property
    def requirements(self) -> Path:
        return FRAMEWORKS_DIR / self.room / "requirements.txt"

    @property
    def env_dir(self) -> Path:
        return ENVS_DIR / (self.env or "")

    @property
    def python(self) -> Path:
        return self.env_dir / "bin" / "python" if self.env else Path(sys.executable)

    def command(self, script: Path) -> list[str]:
        return [str(self.python), *self.launcher, str(script)]

    def environ(self, limits: Mapping[str, str] | None = None) -> dict[str, str]:
        """A framework's environment sees nothing of this project; torch runs see ``src``.
        ``limits``: the instruction-set variables of the run (:mod:`optbridge.native.isa`), which
        replace any of them set outside."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "PYTHONHOME", *AVX2_LIMITS)}
        env.update(PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2", GLOG_v="3", **(limits or {}))
        if not self.env:
            env["PYTHONPATH"] = str(ROOT / "src")
        return env


RUNTIMES: dict[str, Runtime] = {
    r.room: r
    for r in (
        Runtime("torch", ("torch",)),
        Runtime("torch_npu", ("torch",), launcher=("-m", "optbridge.run"), device="simulated NPU",
                runs_on="torch"),
        Runtime("mindspore", ("mindspore", "numpy"), env="mindspore"),
        Runtime("keras", ("tensorflow-cpu", "keras"), env="tensorflow"),
        Runtime("tf1", ("tensorflow-cpu", "keras"), env="tensorflow"),
        Runtime("optax", ("optax", "jax", "jaxlib"), env="optax"),
        Runtime("paddle", ("paddlepaddle",), env="paddle"),
    )
}


def shared_environment_problems() -> list[str]:
    """Rooms that share an environment must pin the same requirements."""
    problems = []
    first: dict[str, Runtime] = {}
    for runtime in RUNTIMES.values():
        if runtime.env is None:
            continue
        other = first.setdefault(runtime.env, runtime)
        if other is not runtime and other.requirements.read_bytes() != runtime.requirements.read_bytes():
            problems.append(f"{runtime.requirements} differs from {other.requirements}; both fill "
                            f"build/frameworks/{runtime.env}")
    return problems


def _requirements_digest(runtime: Runtime) -> str:
    return hashlib.sha256(runtime.requirements.read_bytes()).hexdigest()


def ensure_environment(runtime: Runtime, python: str) -> None:
    """Create the environment if needed and install the committed requirements into it; skip
    the install when the environment was filled from the same requirements before. pip's own
    output (with its progress bars) goes to the terminal."""
    if runtime.env is None:
        return
    if not runtime.requirements.is_file():
        raise InstallError(f"{runtime.requirements}: missing (the pinned requirements of "
                           f"{runtime.room})")
    stamp = runtime.env_dir / STAMP
    digest = _requirements_digest(runtime)
    if runtime.python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        print(f"{runtime.room}: environment {runtime.env_dir} is up to date", flush=True)
        return
    steps = []
    if not runtime.python.exists():
        steps.append([python, "-m", "venv", str(runtime.env_dir)])
    steps.append([str(runtime.python), "-m", "pip", "install", "--progress-bar", "on",
                  "-r", str(runtime.requirements)])
    for step in steps:
        print(f"{runtime.room}: $ {' '.join(step)}", flush=True)
        try:
            code = subprocess.call(step, env=runtime.environ())
        except OSError as exc:
            raise InstallError(f"{runtime.room}: cannot run {step[0]}: {exc}") from None
        if code != 0:
            raise InstallError(f"{runtime.room}: `{' '.join(step)}` failed (exit {code})")
    stamp.write_text(digest + "\n")
