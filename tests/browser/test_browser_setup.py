"""How the browser tests find or install Chromium, without touching apt or the real browser."""

from __future__ import annotations

from pathlib import Path

import browser_chromium
import pytest
from browser_chromium import ChromiumUnavailable, ensure_chromium


@pytest.fixture
def no_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    missing = tmp_path / "chromium"
    monkeypatch.setattr(browser_chromium, "CHROMIUM", missing)
    monkeypatch.setattr(browser_chromium, "has_cjk_font", lambda: True)
    monkeypatch.setattr(browser_chromium.shutil, "which", lambda name: f"/usr/bin/{name}")
    return missing


def test_without_root_it_explains_instead_of_installing(
    no_chromium: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser_chromium.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(browser_chromium, "apt_install", lambda: pytest.fail("apt-get ran"))
    with pytest.raises(ChromiumUnavailable, match="not running as root") as raised:
        ensure_chromium()
    assert str(no_chromium) in str(raised.value)
    assert "chromium fonts-noto-cjk" in str(raised.value)


def test_as_root_it_installs_the_debian_packages(
    no_chromium: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser_chromium.os, "geteuid", lambda: 0)

    def fake_apt_install() -> None:
        no_chromium.write_text("#!/bin/sh\n")
        no_chromium.chmod(0o755)

    monkeypatch.setattr(browser_chromium, "apt_install", fake_apt_install)
    assert ensure_chromium() == no_chromium


def test_an_install_that_leaves_it_missing_is_reported(
    no_chromium: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser_chromium.os, "geteuid", lambda: 0)
    monkeypatch.setattr(browser_chromium, "apt_install", lambda: None)
    with pytest.raises(ChromiumUnavailable, match="still missing"):
        ensure_chromium()


def test_a_failing_apt_get_is_reported_with_its_output(monkeypatch: pytest.MonkeyPatch) -> None:
    class Failed:
        returncode, stdout, stderr = 100, "", "E: Unable to locate package chromium\n"

    monkeypatch.setattr(browser_chromium.subprocess, "run", lambda *args, **kwargs: Failed())
    with pytest.raises(ChromiumUnavailable, match="exit code 100") as raised:
        browser_chromium.apt_install()
    assert "Unable to locate package chromium" in str(raised.value)
