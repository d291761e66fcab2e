"""One Chromium, one context and one tab for the whole run, against build/html on localhost.

Chromium comes from Debian (installed here when missing and we are root); without it the browser
tests skip with the reason, or fail in CI (CI=true, which CI services set) or when
OPTBRIDGE_REQUIRE_BROWSER=1, so a broken setup cannot pass as skipped. OPTBRIDGE_BUILT_SITE=<dir> tests another build than build/html.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_chromium import LAUNCH_ARGS, ChromiumUnavailable, ensure_chromium
from browser_journal import Journal
from browser_server import serve_directory
from browser_site import LANGUAGES, content_pages
from browser_tour import PageReport, tour_page
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium against build/html")


@pytest.fixture(scope="session")
def built_site(repo_root: Path) -> Path:
    """build/html (`make test` builds it first), or the copy named by OPTBRIDGE_BUILT_SITE."""
    root = Path(os.environ.get("OPTBRIDGE_BUILT_SITE") or repo_root / "build" / "html")
    missing = [lang for lang in ("en", "zh_CN") if not (root / lang / "index.html").is_file()]
    if missing or not (root / "index.html").is_file():
        pytest.fail(f"{root} is incomplete ({missing or 'index.html'}): run `make html` first")
    return root


@pytest.fixture(scope="session")
def screenshot_dir(repo_root: Path) -> Path:
    path = repo_root / "build" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    try:
        return ensure_chromium()
    except ChromiumUnavailable as exc:
        if os.environ.get("OPTBRIDGE_REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests are required here (CI or OPTBRIDGE_REQUIRE_BROWSER=1), "
                        f"but {exc}")
        pytest.skip(f"browser tests need Debian's Chromium: {exc}")


@pytest.fixture(scope="session")
def base_url(built_site: Path) -> Iterator[str]:
    with serve_directory(built_site) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_driver(chromium_path: Path) -> Iterator[Playwright]:
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()


@pytest.fixture(scope="session")
def dead_port() -> Iterator[int]:
    """A local port bound but never listening: connections to it are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="session")
def browser(
    playwright_driver: Playwright, chromium_path: Path, dead_port: int
) -> Iterator[Browser]:
    # Everything but 127.0.0.1/localhost goes to a proxy that refuses connections: no request
    # leaves the machine, and (unlike request interception) the HTTP cache stays on, which
    # halves the run time. launch() gives every run a fresh temporary profile, deleted on close.
    launched = playwright_driver.chromium.launch(
        executable_path=str(chromium_path),
        headless=True,
        args=LAUNCH_ARGS,
        proxy={"server": f"http://127.0.0.1:{dead_port}", "bypass": "127.0.0.1,localhost"},
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="session")
def journal() -> Journal:
    return Journal()


@pytest.fixture(scope="session")
def new_context(
    browser: Browser, base_url: str, journal: Journal
) -> Iterator[Callable[..., BrowserContext]]:
    """Make a context watched by the journal; extra contexts are closed at the end."""
    made: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        context = browser.new_context(viewport=VIEWPORT, **options)
        context.set_default_timeout(TIMEOUT_MS)
        journal.attach(context)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture(scope="session")
def tab(new_context: Callable[..., BrowserContext]) -> Page:
    """The one tab every test reuses (a new tab per page would double the run time)."""
    return new_context(locale="en-US").new_page()


@pytest.fixture(scope="session")
def visit(tab: Page, base_url: str, journal: Journal) -> Callable[[str], list[str]]:
    """Open a site path (``en/index.html``) in the shared tab; returns the problems seen loading it."""

    def open_page(path: str) -> list[str]:
        # Leave the previous page first: its unfinished requests are aborted now, not blamed on
        # the next page.
        tab.goto("about:blank")
        journal.clear()
        response = tab.goto(f"{base_url}/{path}", wait_until="load")
        problems = journal.problems()
        if response is None or not response.ok:
            status = "no response" if response is None else f"HTTP {response.status}"
            problems.insert(0, f"{path}: {status}")
        return problems

    return open_page


@pytest.fixture(scope="session")
def site_tour(
    built_site: Path, tab: Page, visit: Callable[[str], list[str]], journal: Journal
) -> dict[str, list[PageReport]]:
    """Every content page of each language, visited once: language -> reports."""
    return {
        language: [
            tour_page(tab, visit, journal, f"{language}/{page}")
            for page in content_pages(built_site, language)
        ]
        for language in LANGUAGES
    }
