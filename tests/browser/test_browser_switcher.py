"""The language switcher opens the same page in the other language, and back again."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from browser_site import LANGUAGES, content_pages
from browser_tour import PageReport
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

OTHER = {"en": "zh_CN", "zh_CN": "en"}
SWITCH = "a.optbridge-language-switch >> visible=true"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_switcher_points_at_the_same_page(
    language: str, site_tour: dict[str, list[PageReport]], base_url: str
) -> None:
    """As the browser resolves the link on each page: en/X -> zh_CN/X and zh_CN/X -> en/X."""
    problems = []
    for report in site_tour[language]:
        page = report.path.removeprefix(f"{language}/")
        expected = f"{base_url}/{OTHER[language]}/{page}"
        if report.switches != [expected]:
            problems.append(
                f"{report.path}: visible switchers {report.switches}, expected {expected}"
            )
    assert site_tour[language], f"no {language} pages"
    assert not problems, "\n".join(problems)


def test_clicking_the_switcher_round_trips(
    built_site: Path, tab: Page, base_url: str, visit: Callable[[str], list[str]]
) -> None:
    """Clicked for real on the home page and on every mapping page: there and back."""
    pages = [
        page
        for page in content_pages(built_site, "en")
        if page == "index.html" or (page.startswith("migration/") and "index" not in page)
    ]
    assert len(pages) > 1, f"no mapping page to switch on: {pages}"
    problems = []
    for page in pages:
        problems += [f"en/{page}: {problem}" for problem in visit(f"en/{page}")]
        for language in ("zh_CN", "en"):
            expected = f"{base_url}/{language}/{page}"
            try:
                tab.locator(SWITCH).first.click(timeout=5_000)
                tab.wait_for_url(expected, timeout=5_000)
            except PlaywrightTimeout:
                problems.append(f"en/{page}: the switcher opened {tab.url}, expected {expected}")
                break
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("start", "other"),
    [
        ("en/search.html?q=eps", "zh_CN/search.html?q=eps"),
        ("zh_CN/search.html?q=%E5%8A%A8%E9%87%8F", "en/search.html?q=%E5%8A%A8%E9%87%8F"),
        ("en/migration/pytorch/RMSprop-mindspore.html#differences",
         "zh_CN/migration/pytorch/RMSprop-mindspore.html#differences"),
        ("zh_CN/migration/pytorch/RMSprop-mindspore.html#code-example",
         "en/migration/pytorch/RMSprop-mindspore.html#code-example"),
        ("en/guide/reading-a-mapping-page.html#the-differences-table",
         "zh_CN/guide/reading-a-mapping-page.html#the-differences-table"),
    ],
)
def test_the_switcher_keeps_the_query_and_the_section(
    start: str, other: str, tab: Page, base_url: str, visit: Callable[[str], list[str]]
) -> None:
    problems = visit(start)
    assert not problems, "\n".join(problems)
    tab.locator(SWITCH).first.click(timeout=5_000)
    try:
        tab.wait_for_url(f"{base_url}/{other}", timeout=5_000)
    except PlaywrightTimeout:
        pytest.fail(f"from {start} the switcher opened {tab.url}, expected {base_url}/{other}")
    fragment = other.partition("#")[2]
    if fragment:  # the section exists in the other language and is where the reader lands
        assert tab.locator(f"[id='{fragment}']").count() == 1, f"no #{fragment} on {other}"
        top = tab.evaluate(f"document.getElementById('{fragment}').getBoundingClientRect().top")
        assert 0 <= top < 300, f"#{fragment} is at {top} px from the top of the window"
