from __future__ import annotations

from pathlib import Path

import pytest

from optbridge.npu import install as install_simulated_npu
from optbridge.npu import real_torch_npu_available

# Autograd sizes its per-device queues the first time it runs in a process: the simulated NPU
# that tests ask for must be registered before any test runs a backward pass.
if not real_torch_npu_available():
    install_simulated_npu()

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
