"""Find Debian's Chromium (and a Chinese font), installing both with apt-get when we may.

Playwright's own browser download is never used: it needs the network at test time and pins a
build we do not control. Run as a script (``python tests/browser/browser_chromium.py``) to set up
a machine by hand; the browser tests call :func:`ensure_chromium` from a session fixture.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path(os.environ.get("OPTBRIDGE_CHROMIUM", "/usr/bin/chromium"))
APT_PACKAGES = ("chromium", "fonts-noto-cjk")
APT_TIMEOUT_S = 900

# Without the background-networking flags Chromium's own connections (updates, sync, field
# trials) fail on a closed network and some of them surface as noise; --disable-quic keeps every
# page request on plain HTTP to our local server.
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ChromiumUnavailable(RuntimeError):
    """Chromium or a CJK font is missing and cannot be installed here."""


def has_cjk_font() -> bool:
    """True when fontconfig knows a font covering Chinese (else screenshots show boxes)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run(
        [fc_list, ":lang=zh", "family"], check=False, capture_output=True, text=True
    )
    return found.returncode == 0 and bool(found.stdout.strip())


def missing_parts() -> list[str]:
    missing = []
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        missing.append(f"Chromium at {CHROMIUM}")
    if not has_cjk_font():
        missing.append("a Chinese (CJK) font")
    return missing


def _may_install() -> str | None:
    """Why apt-get cannot run here, or None when it can (root on a Debian-like system)."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available (not a Debian-like system)"
    if os.geteuid() != 0:
        return "not running as root"
    return None


def apt_install(packages: tuple[str, ...] = APT_PACKAGES) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
    )
    for step in steps:
        try:
            done = subprocess.run(
                step, check=False, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT_S
            )
        except subprocess.TimeoutExpired as exc:
            raise ChromiumUnavailable(
                f"`{' '.join(step)}` timed out after {exc.timeout} s"
            ) from exc
        if done.returncode != 0:
            tail = (done.stdout + done.stderr).strip().splitlines()[-8:]
            raise ChromiumUnavailable(
                f"`{' '.join(step)}` failed with exit code {done.returncode}:\n" + "\n".join(tail)
            )


def ensure_chromium() -> Path:
    """Return the Chromium executable, installing it and a CJK font first when needed.

    Raises ChromiumUnavailable with a message saying what is missing and why it was not installed.
    """
    missing = missing_parts()
    if not missing:
        return CHROMIUM
    reason = _may_install()
    if reason is not None:
        raise ChromiumUnavailable(
            f"missing {', '.join(missing)}; cannot install it: {reason}. "
            f"Install the Debian packages {' '.join(APT_PACKAGES)} "
            "(or point OPTBRIDGE_CHROMIUM at a Chromium executable)."
        )
    apt_install()
    still_missing = missing_parts()
    if still_missing:
        raise ChromiumUnavailable(
            f"apt-get installed {' '.join(APT_PACKAGES)} but {', '.join(still_missing)} "
            "is still missing"
        )
    return CHROMIUM


if __name__ == "__main__":
    try:
        print(ensure_chromium())
    except ChromiumUnavailable as exc:
        sys.exit(f"browser tests cannot run: {exc}")
