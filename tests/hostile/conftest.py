"""Helpers of the hostile-input suite: code that could crash the interpreter runs in a child."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SRC = REPO_ROOT / "src"


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OPTBRIDGE_DEVICE"}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def run_python(
    code_or_args: str | list[str], *, env: dict[str, str] | None = None, timeout: int = 180
) -> subprocess.CompletedProcess[str]:
    """Run code (a string) or a command line (python's arguments) in a fresh interpreter."""
    args = ["-c", textwrap.dedent(code_or_args)] if isinstance(code_or_args, str) else code_or_args
    return subprocess.run(
        [sys.executable, *args], check=False, capture_output=True, text=True, timeout=timeout,
        env=env or child_env(), cwd=REPO_ROOT,
    )


@pytest.fixture
def python():
    return run_python


@pytest.fixture(scope="session", autouse=True)
def simulated_npu():
    """Installed before any test here runs autograd (a later install cannot reach backward)."""
    from optbridge import npu

    if not npu.real_torch_npu_available():
        npu.install()
