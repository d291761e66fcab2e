"""Mapping pages (and the guide's comparison table) as a reader sees them at 1280 px and 390 px, in
both languages: nothing spills out or is cut off, code tokens and API names stay whole, tables fit
on a desktop and scroll sideways on a phone. Every page is photographed into build/screenshots/ on
the way."""

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
# Pages other than the mapping pages that hold a wide table and get the same rules, except that
# their table may scroll sideways on a desktop too (the comparison has eight columns of code).
TABLE_PAGES = ("guide/comparison.html",)
# Sections of the mapping pages that the layout checks must reach (each id on some page).
MEASURED_SECTIONS = ("port-it", "the-pytorch-compatible-optimizer", "behavioural-differences")

# At 1280 px a mapping page's table must fit its column: no sideways scrolling on a desktop.
TABLES_THAT_SCROLL_JS = """() => Array.from(document.querySelectorAll('main table'))
    .filter(table => table.getBoundingClientRect().width > table.parentElement.clientWidth + 1)
    .map(table => `${Math.round(table.getBoundingClientRect().width)} px table in a `
                  + `${table.parentElement.clientWidth} px column`)"""

# The comparison scrolled to its right end: does the API column stay in view?
COMPARISON_SCROLLED_JS = """() => {
    const table = document.querySelector('main table.optbridge-comparison');
    if (!table) return {scrolls: false, hidden: ['no table.optbridge-comparison on the page']};
    const box = table.parentElement;
    box.scrollLeft = box.scrollWidth;
    const left = box.getBoundingClientRect().left;
    const hidden = Array.from(table.rows)
        .filter(row => row.cells[0].getBoundingClientRect().left < left - 1)
        .map(row => `"${row.cells[0].innerText.trim()}" scrolls out of view`);
    const scrolls = box.scrollLeft > 0;
    box.scrollLeft = 0;
    return {scrolls, hidden};
}"""
# Style sheets that put back what the mapping pages had before: the layout checks must see it.
OLD_NOWRAP_CODE_CSS = ".bd-article code.literal { white-space: nowrap !important; }"
CODE_BROKEN_ANYWHERE_CSS = (".bd-article code.literal span.pre "
                            "{ white-space: normal !important; word-break: break-all !important; }")
NO_STICKY_COLUMN_CSS = "table.optbridge-comparison :is(th, td) { position: static !important; }"


def mapping_pages(built_site: Path, language: str) -> list[str]:
    return [
        page
        for page in content_pages(built_site, language)
        if page.startswith("migration/") and not page.endswith("index.html")
    ]


def laid_out_pages(built_site: Path, language: str) -> list[str]:
    """The mapping pages and TABLE_PAGES, each checked to exist (a renamed page is no pass)."""
    missing = [page for page in TABLE_PAGES if not (built_site / language / page).is_file()]
    assert not missing, f"{language}: {missing} not built; update TABLE_PAGES"
    return mapping_pages(built_site, language) + list(TABLE_PAGES)


@pytest.fixture
def at_width(tab: Page) -> Iterator[Callable[[int], None]]:
    """Resize the shared tab; restored to the suite's 1280 px afterwards."""
    yield lambda width: tab.set_viewport_size({"width": width, "height": HEIGHT})
    tab.set_viewport_size({"width": 1280, "height": HEIGHT})


def screenshot_name(language: str, width: int, page: str) -> str:
    if not page.startswith("migration/"):
        return f"page-{language}-{width}-{page.replace('/', '-')}"
    return f"mapping-{language}-{width}-{page.removeprefix('migration/').replace('/', '-')}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_layout_checks_reach_every_kind_of_section(language: str, built_site: Path) -> None:
    """Sections added to the pages since (Port it, the PyTorch-compatible optimizer) are among
    what the layout test measures: each id is on at least one measured page."""
    html = "".join((built_site / language / page).read_text(encoding="utf-8")
                   for page in laid_out_pages(built_site, language))
    unreached = [section for section in MEASURED_SECTIONS if f'id="{section}"' not in html]
    assert not unreached, f"{language}: no measured page has the sections {unreached}"


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
    pages = laid_out_pages(built_site, language)
    assert len(pages) > 1 + len(TABLE_PAGES), f"no {language} mapping pages"
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
        if width >= 1280 and page not in TABLE_PAGES:
            found += tab.evaluate(TABLES_THAT_SCROLL_JS)
        problems += [f"{path} at {width} px: {p}" for p in found]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_comparison_keeps_its_api_column_in_view(
    language: str,
    width: int,
    tab: Page,
    visit: Callable[[str], list[str]],
    at_width: Callable[[int], None],
) -> None:
    at_width(width)
    problems = visit(f"{language}/guide/comparison.html")
    scrolled = tab.evaluate(COMPARISON_SCROLLED_JS)
    if width < 600:
        assert scrolled["scrolls"], "eight columns of code fit a phone? the check saw no scrolling"
    assert not problems + scrolled["hidden"], "\n".join(problems + scrolled["hidden"])


@pytest.mark.parametrize(
    ("page", "css", "check", "expected"),
    [
        ("migration/pytorch/RMSprop-mindspore.html", OLD_NOWRAP_CODE_CSS, OVERFLOW_JS,
         "content"),
        ("migration/tensorflow/keras.RMSprop-mindspore.html", CODE_BROKEN_ANYWHERE_CSS,
         BROKEN_TOKENS_JS, "is broken across lines"),
    ],
    ids=["code-that-cannot-wrap-overflows", "code-broken-inside-a-token"],
)
def test_the_layout_checks_see_the_old_defects(
    page: str,
    css: str,
    check: str,
    expected: str,
    tab: Page,
    visit: Callable[[str], list[str]],
    at_width: Callable[[int], None],
) -> None:
    """Each check fails on a mapping page given back the style it had before the fix."""
    at_width(390)
    visit(f"en/{page}")
    assert not tab.evaluate(check), "the page itself should pass before the style is put back"
    tab.add_style_tag(content=css)
    found = tab.evaluate(check)
    assert any(expected in problem for problem in found), found


def test_the_comparison_check_sees_a_column_that_scrolls_away(
    tab: Page, visit: Callable[[str], list[str]], at_width: Callable[[int], None]
) -> None:
    at_width(390)
    visit("en/guide/comparison.html")
    tab.add_style_tag(content=NO_STICKY_COLUMN_CSS)
    assert tab.evaluate(COMPARISON_SCROLLED_JS)["hidden"]


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


@pytest.mark.parametrize("language", LANGUAGES)
def test_gallery_thumbnails_are_in_the_page_language(
    language: str, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    """Every card whose example draws a figure with Chinese text shows that figure's thumbnail
    on the Chinese index, and the English one on the English index."""
    visit(f"{language}/auto_examples/index.html")
    sources = tab.evaluate("""() => Array.from(
        document.querySelectorAll('.sphx-glr-thumbcontainer img')).map(img => img.src)""")
    figures = [s for s in sources if "no_image" not in s]
    assert figures, "no gallery thumbnail drawn from a figure"
    chinese = [s for s in figures if s.endswith("_thumb.zh.png")]
    if language == "zh_CN":
        assert chinese == figures, f"English thumbnails on the Chinese index: {figures}"
    else:
        assert not chinese, f"Chinese thumbnails on the English index: {chinese}"
