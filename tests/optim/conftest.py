"""Fixtures of the drop-in optimizer tests (helpers live in optim_problems.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def exact_sqrt():
    """Run the CPU kernel with torch's own sqrt, so RMSprop must match bit for bit."""
    from optbridge.engine.kernels import cpu

    previous = cpu._exact_sqrt
    cpu.set_exact_sqrt(True)
    yield
    cpu.set_exact_sqrt(previous)
