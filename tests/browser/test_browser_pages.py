"""Every generated page, in both languages, loads in Chromium with nothing going wrong."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from browser_journal import Journal
from browser_site import LANGUAGES
from browser_tour import PageReport
from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser

HTML_LANG = {"en": "en", "zh_CN": "zh-CN"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_loads_without_errors(
    language: str, site_tour: dict[str, list[PageReport]]
) -> None:
    reports = site_tour[language]
    assert len(reports) > 5, f"only {[report.path for report in reports]} built for {language}"
    problems = []
    for report in reports:
        problems += [f"{report.path}: {problem}" for problem in report.problems]
        if report.lang != HTML_LANG[language]:
            problems.append(
                f"{report.path}: <html lang={report.lang!r}>, not {HTML_LANG[language]}"
            )
        if report.h1 == 0:
            problems.append(f"{report.path}: no <h1> in <main>: the page rendered without content")
        problems += [f"{report.path}: image did not decode: {src}" for src in report.broken_images]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("locale", "language"), [("zh-CN", "zh_CN"), ("en-US", "en"), ("fr-FR", "en")]
)
def test_root_index_opens_the_readers_language(
    locale: str,
    language: str,
    new_context: Callable[..., BrowserContext],
    base_url: str,
    journal: Journal,
) -> None:
    context = new_context(locale=locale)
    try:
        journal.clear()
        page = context.new_page()
        page.goto(f"{base_url}/index.html", wait_until="commit")
        page.wait_for_url(f"{base_url}/{language}/index.html")
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == HTML_LANG[language]
        # The landing page itself is replaced while loading; its aborted request is the redirect.
        landing = f"{base_url}/index.html: net::ERR_ABORTED"
        problems = [problem for problem in journal.problems() if not problem.endswith(landing)]
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_requests_leaving_localhost_are_blocked_and_reported(
    tab: Page, visit: Callable[[str], list[str]], journal: Journal
) -> None:
    assert not visit("en/index.html")
    outcome = tab.evaluate(
        "fetch('https://example.org/optbridge-probe').then(() => 'reached', () => 'blocked')"
    )
    assert outcome == "blocked"
    assert journal.external_requests == ["GET https://example.org/optbridge-probe"]
    journal.clear()
