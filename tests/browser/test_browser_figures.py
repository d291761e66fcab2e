"""The example gallery shows its figures, and the run leaves screenshots of both languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from browser_site import LANGUAGES, content_pages
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

GALLERY = "auto_examples/"
PREFERRED_MAPPING_PAGE = "migration/pytorch/RMSprop-mindspore.html"
CJK = re.compile(r"[\u4e00-\u9fff]")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Wait until every image has loaded or failed (5 s at most), then report each one.
IMAGES_JS = """async () => {
    const images = Array.from(document.images);
    images.forEach(img => { img.loading = 'eager'; });
    const settled = img => img.complete ? null : new Promise(done => {
        img.addEventListener('load', done); img.addEventListener('error', done);
    });
    await Promise.race([Promise.all(images.map(settled)),
                        new Promise(done => setTimeout(done, 5000))]);
    return images.map(img => ({
        src: img.getAttribute('src'),
        loaded: img.complete && img.naturalWidth > 0,
        figure: img.matches('.sphx-glr-single-img, .sphx-glr-multi-img'),
        thumbnail: !!img.closest('.sphx-glr-thumbcontainer'),
    }));
}"""

# Tables wider than the text column: their last columns hide behind a horizontal scroll bar.
CLIPPED_TABLES_JS = """() => Array.from(document.querySelectorAll('main table'))
    .filter(table => table.getBoundingClientRect().width > table.parentElement.clientWidth + 1)
    .map(table => `${Math.round(table.getBoundingClientRect().width)} px in a `
                  + `${table.parentElement.clientWidth} px column`)"""


def save_screenshot(tab: Page, path: Path) -> None:
    tab.evaluate("document.fonts.ready.then(() => true)")  # no screenshot with fallback fonts
    tab.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"


@pytest.mark.parametrize("language", LANGUAGES)
def test_gallery_figures_load(
    language: str,
    built_site: Path,
    tab: Page,
    visit: Callable[[str], list[str]],
    screenshot_dir: Path,
) -> None:
    pages = [page for page in content_pages(built_site, language) if page.startswith(GALLERY)]
    assert pages, f"no {language} gallery: build/html/{language}/{GALLERY} has no pages"
    problems, figures, thumbnails, first_figure_page = [], 0, 0, None
    for page in pages:
        path = f"{language}/{page}"
        problems += [f"{path}: {problem}" for problem in visit(path)]
        images = tab.evaluate(IMAGES_JS)
        problems += [
            f"{path}: image did not load: {img['src']}" for img in images if not img["loaded"]
        ]
        page_figures = sum(img["figure"] and img["loaded"] for img in images)
        figures += page_figures
        thumbnails += sum(img["thumbnail"] and img["loaded"] for img in images)
        if page_figures and first_figure_page is None:
            first_figure_page = page
            save_screenshot(tab, screenshot_dir / f"gallery-{language}.png")
    assert not problems, "\n".join(problems)
    assert figures, f"no figure (img.sphx-glr-single-img/multi-img) on the {language} gallery pages"
    assert thumbnails, f"no thumbnail on the {language} gallery index"


@pytest.mark.parametrize("language", LANGUAGES)
def test_screenshots_of_home_and_a_mapping_page(
    language: str,
    built_site: Path,
    tab: Page,
    visit: Callable[[str], list[str]],
    screenshot_dir: Path,
) -> None:
    mapping_pages = [
        page
        for page in content_pages(built_site, language)
        if page.startswith("migration/") and not page.endswith("index.html")
    ]
    assert mapping_pages, f"no {language} mapping page under migration/"
    mapping = (
        PREFERRED_MAPPING_PAGE if PREFERRED_MAPPING_PAGE in mapping_pages else mapping_pages[0]
    )
    problems = []  # screenshots first, whatever is wrong: they are how a reviewer sees it
    for name, page in (("home", "index.html"), ("mapping", mapping)):
        path = f"{language}/{page}"
        problems += [f"{path}: {problem}" for problem in visit(path)]
        save_screenshot(tab, screenshot_dir / f"{name}-{language}.png")
        chinese = len(CJK.findall(tab.locator("main").inner_text()))
        if language == "zh_CN" and chinese < 20:
            problems.append(f"{path}: only {chinese} Chinese characters in <main>")
        if name == "mapping":
            if tab.locator("main table >> visible=true").count() == 0:
                problems.append(f"{path}: no visible table")
            problems += [
                f"{path}: table wider than the page: {clip}"
                for clip in tab.evaluate(CLIPPED_TABLES_JS)
            ]
    assert not problems, "\n".join(problems)
