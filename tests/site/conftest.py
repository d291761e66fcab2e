from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def site(repo_root: Path) -> Path:
    """The built site; `make test` builds it first (`make html`)."""
    root = repo_root / "build" / "html"
    if not (root / "en" / "index.html").exists() or not (root / "zh_CN" / "index.html").exists():
        pytest.fail("build/html is missing: run `make html` first (`make test` does it)")
    return root
