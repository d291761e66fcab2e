"""Mapping pages as a reader sees them at 1280 px and 390 px, in both languages: nothing spills
out or is cut off, code tokens and API names stay whole, tables fit on a desktop and scroll
sideways on a phone. Every page is photographed into build/screenshots/ on the way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_layout import (
    BROKEN_TOKENS_JS,
    CLIPPED_HEADINGS_JS,
    GALLERY_CARDS_JS,
    OVERFLOW_JS,
)
from browser_site import LANGUAGES, content_pages
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
HEIGHT = 900

# At 1280 px a difference table must fit its column: no sideways scrolling on a desktop.
TABLES_THAT_SCROLL_JS = """() => Array.from(document.querySelectorAll('main table'))
    .filter(table => table.getBoundingClientRect().width > table.parentElement.clientWidth + 1)
    .map(table => `${Math.round(table.getBoundingClientRect().width)} px table in a `
                  + `${table.parentElement.clientWidth} px column`)"""


def mapping_pages(built_site: Path, language: str) -> list[str]:
    return [
        page
        for page in content_pages(built_site, language)
        if page.startswith("migration/") and not page.endswith("index.html")
    ]


@pytest.fixture
def at_width(tab: Page) -> Iterator[Callable[[int], None]]:
    """Resize the shared tab; restored to the suite's 1280 px afterwards."""
    yield lambda width: tab.set_viewport_size({"width": width, "height": HEIGHT})
    tab.set_viewport_size({"width": 1280, "height": HEIGHT})


def screenshot_name(language: str, width: int, page: str) -> str:
    return f"mapping-{language}-{width}-{page.removeprefix('migration/').replace('/', '-')}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_mapping_pages_fit_without_clipping(
    language: str,
    width: int,
    built_site: Path,
    tab: Page,
    visit: Callable[[str], list[str]],
    at_width: Callable[[int], None],
    screenshot_dir: Path,
) -> None:
    pages = mapping_pages(built_site, language)
    assert len(pages) > 1, f"no {language} mapping pages"
    at_width(width)
    problems = []
    for page in pages:
        path = f"{language}/{page}"
        problems += [f"{path}: {p}" for p in visit(path)]
        tab.evaluate("document.fonts.ready.then(() => true)")
        shot = screenshot_dir / f"{screenshot_name(language, width, page)}.png"
        tab.screenshot(path=str(shot), full_page=True)
        found = tab.evaluate(OVERFLOW_JS) + tab.evaluate(CLIPPED_HEADINGS_JS)
        found += tab.evaluate(BROKEN_TOKENS_JS)
        if width >= 1280:
            found += tab.evaluate(TABLES_THAT_SCROLL_JS)
        problems += [f"{path} at {width} px: {p}" for p in found]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


@pytest.mark.parametrize("language", LANGUAGES)
def test_mapping_pages_give_the_tables_the_width(
    language: str, built_site: Path, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    """At 1280 px no secondary sidebar takes width from a mapping page's tables."""
    problems = []
    for page in mapping_pages(built_site, language):
        visit(f"{language}/{page}")
        sidebar = tab.locator(".bd-sidebar-secondary")
        if sidebar.count() and sidebar.first.is_visible():
            problems.append(f"{language}/{page}: the secondary sidebar is shown")
        column = tab.evaluate("document.querySelector('article.bd-article').clientWidth")
        if column < 800:
            problems.append(f"{language}/{page}: the article is only {column} px wide")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_gallery_captions_stay_in_their_cards(
    language: str,
    width: int,
    tab: Page,
    visit: Callable[[str], list[str]],
    at_width: Callable[[int], None],
    screenshot_dir: Path,
) -> None:
    at_width(width)
    path = f"{language}/auto_examples/index.html"
    problems = visit(path)
    tab.evaluate("document.fonts.ready.then(() => true)")
    tab.screenshot(path=str(screenshot_dir / f"gallery-index-{language}-{width}.png"),
                   full_page=True)
    problems += tab.evaluate(GALLERY_CARDS_JS)
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("language", LANGUAGES)
def test_gallery_captions_are_the_example_titles(
    language: str, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    """Each card's caption is the title of the example it opens, in the page's language."""
    visit(f"{language}/auto_examples/index.html")
    pairs = tab.evaluate("""() => Array.from(document.querySelectorAll('.sphx-glr-thumbcontainer'))
        .map(card => [card.querySelector('.sphx-glr-thumbnail-title')?.textContent.trim(),
                      card.querySelector('p a')?.textContent.trim()])""")
    assert pairs, "no gallery card"
    wrong = [f"caption {caption!r} for the page titled {title!r}" for caption, title in pairs
             if caption != title]
    assert not wrong, "\n".join(wrong)
