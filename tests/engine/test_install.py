"""The wheel ``pip`` builds holds the compiled CPU kernel, and a process that imports it from
there steps at once: no compiler, no cache, nothing printed (about 2 minutes: pip installs
torch into its isolated build environment and compiles every CPU capability's loops)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from optbridge.bench_install import copy_sources
from optbridge.engine.kernels import cpu

ROOT = Path(__file__).resolve().parents[2]
STEP = """
import torch
from optbridge.engine.kernels import cpu
from optbridge.optim import FusedRMSprop
w = torch.nn.Parameter(torch.ones(4)); ref = torch.nn.Parameter(torch.ones(4))
ours, theirs = FusedRMSprop([w]), torch.optim.RMSprop([ref])
for _ in range(3):
    w.grad = torch.ones(4); ref.grad = torch.ones(4)
    ours.step(); theirs.step()
print(cpu.load() is not None, cpu.installed_path().exists(), torch.equal(w, ref))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    package = copy_sources(ROOT, out / "package")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                           "--wheel-dir", str(out), str(package)], capture_output=True, text=True,
                          timeout=1200, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = out.glob("optbridge-*.whl")
    return built


def test_the_wheel_holds_the_kernel_of_every_capability_and_is_tagged_for_this_platform(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    binding = cpu.installed_path(Path("optbridge"))
    expected = {binding, *(cpu.variant_path(binding, c) for c in cpu.capabilities())}
    assert {p.as_posix() for p in expected} <= names, sorted(n for n in names if "compiled" in n)
    assert not wheel.name.endswith("-none-any.whl")  # compiled code: not a pure wheel


def test_a_process_importing_the_wheel_steps_with_its_kernel_without_compiling(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"),
           "CXX": str(tmp_path / "no-such-compiler"), "OPTBRIDGE_CACHE_DIR": str(tmp_path / "c")}
    done = subprocess.run([sys.executable, "-c", STEP], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "True"]
    assert "compiling" not in done.stderr and "unavailable" not in done.stderr, done.stderr
    assert not (tmp_path / "c").exists()  # nothing was built into the cache
