"""What readers look for: titles that name both sides, Chinese all the way, figures that read,
signatures that fit and print, an install page, versions, the source table, a favicon."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest
from browser_site import LANGUAGES, content_pages
from playwright.sync_api import Page

from optbridge import __version__
from optbridge.mappings import load_all

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u4e00-\u9fff]")
# An English sentence: four Latin words in a row, nothing Chinese around them.
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){3,}")


@pytest.fixture(scope="module")
def mappings(repo_root: Path) -> dict[str, object]:
    return {item.slug: item for item in load_all(repo_root / "docs" / "mappings")}


@pytest.fixture
def restore_width(tab: Page) -> Iterator[None]:
    yield
    tab.set_viewport_size({"width": 1280, "height": 900})
    tab.emulate_media(media="screen")


@pytest.mark.parametrize("language", LANGUAGES)
def test_titles_name_both_sides_and_differ(
    language: str, mappings: dict, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    titles: dict[str, str] = {}
    problems = []
    for slug, item in mappings.items():
        visit(f"{language}/migration/{slug}.html")
        h1 = tab.locator("main h1").first.inner_text().replace("\u200b", "").strip("#\n ")
        for side in (item.mapping.source.api, item.mapping.target.api):
            if side not in h1 or side not in tab.title():
                problems.append(f"{slug}: the title {h1!r} / {tab.title()!r} does not name {side}")
        titles[slug] = h1
    repeated = {t for t in titles.values() if list(titles.values()).count(t) > 1}
    problems += [f"title shared by several pages: {t!r}" for t in sorted(repeated)]
    assert not problems, "\n".join(problems)


def test_chinese_navbar_has_no_english_more(tab: Page, visit: Callable[[str], list[str]]) -> None:
    visit("zh_CN/index.html")
    labels = tab.locator(".bd-header .navbar-nav .dropdown-toggle").all_inner_texts()
    assert labels, "no dropdown in the navbar"
    assert all(CJK.search(label) and "More" not in label for label in labels), labels


def test_chinese_api_reference_is_chinese(
    built_site: Path, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    """Headings and prose of the reference pages; the docstrings (API entries, dl.py, and
    module overviews, .optbridge-docstring) stay as written."""
    pages = [p for p in content_pages(built_site, "zh_CN") if p.startswith("reference/")]
    assert len(pages) > 1
    problems = []
    for page in pages:
        visit(f"zh_CN/{page}")
        texts = tab.evaluate("""() => Array.from(document.querySelectorAll(
                'main article :is(h1, h2, h3, p, li)'))
            .filter(el => !el.closest('dl.py, pre, .highlight, table, .optbridge-docstring')
                    && !el.querySelector('.optbridge-docstring'))
            .map(el => { const c = el.cloneNode(true);
                         c.querySelectorAll('code, a.headerlink').forEach(n => n.remove());
                         return [el.tagName, c.innerText.trim()]; })""")
        for tag, text in texts:
            if tag.startswith("H") and text and not CJK.search(text):
                problems.append(f"zh_CN/{page}: English heading {text!r}")
            elif ENGLISH_SENTENCE.search(text):
                problems.append(f"zh_CN/{page}: English sentence in {text[:80]!r}")
    assert not problems, "\n".join(problems)


FIGURES_JS = """() => Array.from(document.querySelectorAll(
        'main img.optbridge-figure, main img.sphx-glr-single-img, main img.sphx-glr-multi-img'))
    .map(img => ({src: img.getAttribute('src'), alt: img.getAttribute('alt') || '',
                  natural: img.naturalWidth, shown: img.getBoundingClientRect().width}))"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_figures_say_what_they_show_and_are_sharp(
    language: str, built_site: Path, tab: Page, visit: Callable[[str], list[str]],
    restore_width: None,
) -> None:
    """On a phone (390 px, 2 or 3 device pixels per CSS pixel) a figure has at least two image
    pixels per CSS pixel, and its alt text describes it (not its file name)."""
    tab.set_viewport_size({"width": 390, "height": 900})
    pages = [p for p in content_pages(built_site, language)
             if p.startswith(("migration/", "auto_examples/plot_"))]
    problems, seen = [], 0
    for page in pages:
        visit(f"{language}/{page}")
        for figure in tab.evaluate(FIGURES_JS):
            seen += 1
            name = Path(figure["src"]).stem
            alt = figure["alt"]
            if len(alt) < 15 or "plot_" in alt or "sphx_glr" in alt or alt.replace(" ", "_") in name:
                problems.append(f"{language}/{page}: {figure['src']}: alt text {alt!r}")
            vector = figure["src"].endswith(".svg")  # sharp at any size
            if not vector and figure["natural"] < 2 * figure["shown"]:
                problems.append(f"{language}/{page}: {figure['src']} is {figure['natural']} px "
                                f"wide, shown at {figure['shown']:.0f} px: blurred on a phone")
    assert seen, f"no figure on the {language} mapping and gallery pages"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_output_blocks_wrap_on_a_phone(
    language: str, built_site: Path, tab: Page, visit: Callable[[str], list[str]],
    restore_width: None,
) -> None:
    tab.set_viewport_size({"width": 390, "height": 900})
    problems, seen = [], 0
    for page in [p for p in content_pages(built_site, language) if p.startswith("migration/")]:
        visit(f"{language}/{page}")
        for cut in tab.evaluate("""() => Array.from(document.querySelectorAll(
                'main div.highlight-text pre, main .sphx-glr-script-out pre'))
                .filter(pre => pre.checkVisibility())
                .map(pre => [pre.scrollWidth, pre.clientWidth, pre.innerText.slice(0, 40)])"""):
            seen += 1
            if cut[0] > cut[1] + 1:
                problems.append(f"{language}/{page}: output {cut[2]!r} is {cut[0]} px in {cut[1]} px")
    assert seen, "no output block on the mapping pages"
    assert not problems, "\n".join(problems)


# A signature is the code block right under an API's heading; the programs of "Port it" follow
# a sentence, not the heading, and are no signatures.
SIGNATURES_JS = """() => Array.from(document.querySelectorAll('main section > section'))
    .map(s => s.querySelector(':scope > h2 + div.highlight-python pre'))
    .filter(pre => pre).map(pre => pre.innerText)"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_signatures_have_one_parameter_per_line(
    language: str, mappings: dict, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    problems = []
    for slug in mappings:
        visit(f"{language}/migration/{slug}.html")
        signatures = tab.evaluate(SIGNATURES_JS)
        if len(signatures) < 2:
            problems.append(f"{slug}: {len(signatures)} signature blocks")
        for signature in signatures:
            lines = signature.strip().split("\n")
            params = lines[1:-1]
            if not (lines[0].endswith("(") and lines[-1] == ")" and params
                    and all(p.startswith("    ") and p.endswith(",") for p in params)):
                problems.append(f"{slug}: signature not one parameter per line: {lines[:3]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_printing_keeps_signatures_and_every_tab(
    language: str, mappings: dict, tab: Page, visit: Callable[[str], list[str]],
    restore_width: None,
) -> None:
    """On A4 paper (794 px at 96 dpi) nothing scrolls: code wraps and every tab is printed."""
    tab.set_viewport_size({"width": 794, "height": 1123})
    problems = []
    for slug in mappings:
        visit(f"{language}/migration/{slug}.html")
        tab.emulate_media(media="print")
        facts = tab.evaluate("""() => ({
            cut: Array.from(document.querySelectorAll('main pre'))
                .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
                .map(pre => pre.innerText.slice(0, 40)),
            hidden: Array.from(document.querySelectorAll('main .sd-tab-content'))
                .filter(panel => !panel.checkVisibility()).length,
            panels: document.querySelectorAll('main .sd-tab-content').length})""")
        tab.emulate_media(media="screen")
        problems += [f"{language}/{slug}: printed code cut off: {c!r}" for c in facts["cut"]]
        if facts["hidden"]:
            problems.append(f"{language}/{slug}: {facts['hidden']} of {facts['panels']} "
                            "code tabs are not printed")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_install_page_says_pip_install_from_the_repository(
    language: str, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    assert not visit(f"{language}/install.html")
    text = tab.locator("main").inner_text()
    assert "pip install" in text and "PyPI" in text, text[:300]
    visit(f"{language}/index.html")
    assert tab.locator("a[href='install.html']").count() > 0, "the home page does not link it"


@pytest.mark.parametrize("language", LANGUAGES)
def test_footer_shows_the_site_and_framework_versions(
    language: str, mappings: dict, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    visit(f"{language}/migration/pytorch/RMSprop-mindspore.html")
    footer = tab.locator("footer.bd-footer").inner_text()
    assert f"optbridge {__version__}" in footer, footer
    versions = {(item.mapping.source.framework, item.mapping.source.version)
                for item in mappings.values()}
    for _framework, version in versions:
        assert version in footer, (version, footer)


@pytest.mark.parametrize("language", LANGUAGES)
def test_view_source_opens_the_table_of_the_page(
    language: str, mappings: dict, tab: Page, base_url: str, visit: Callable[[str], list[str]]
) -> None:
    problems = []
    for slug, item in mappings.items():
        visit(f"{language}/migration/{slug}.html")
        link = tab.locator("a.optbridge-source-link")
        if link.count() != 1 or not link.first.is_visible():
            problems.append(f"{slug}: {link.count()} visible 'View source' links")
            continue
        url = urljoin(tab.url, link.first.get_attribute("href"))
        served = tab.evaluate("url => fetch(url).then(r => r.ok ? r.text() : null)", url)
        if served != item.path.read_text("utf-8"):
            problems.append(f"{slug}: 'View source' ({url}) is not {item.path.name}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_example_links_back_to_its_mapping_page(
    language: str, mappings: dict, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    problems = []
    for slug, item in mappings.items():
        for example in item.mapping.examples:
            visit(f"{language}/auto_examples/{example.script}.html")
            hrefs = tab.locator("main a").evaluate_all(
                "links => links.map(a => a.href.split('#')[0])")
            expected = urljoin(tab.url, f"../migration/{slug}.html")
            if expected not in hrefs:
                problems.append(f"{example.script}: no link to {expected}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", ["en/index.html", "zh_CN/migration/index.html"])
def test_favicon_is_served(
    page: str, built_site: Path, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    visit(page)
    href = tab.evaluate("document.querySelector('link[rel~=icon]')?.href ?? null")
    assert href, f"{page}: no <link rel=icon>"
    assert tab.evaluate("url => fetch(url).then(r => r.ok)", href), href
    # The landing page redirects at once, but the browser asks for its icon all the same.
    landing = (built_site / "index.html").read_text("utf-8")
    icon = re.search(r'<link rel="icon" href="([^"]+)"', landing)
    assert icon and (built_site / icon.group(1)).is_file(), "the landing page has no icon"


@pytest.mark.parametrize("language", LANGUAGES)
def test_figures_are_in_the_page_language(
    language: str, mappings: dict, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    """Chinese pages show the Chinese twin of each loss plot (title, axes, legend in Chinese;
    its title is the alt text); English pages the English figure."""
    problems, seen = [], 0
    for slug, item in mappings.items():
        if not item.mapping.examples:
            continue
        visit(f"{language}/migration/{slug}.html")
        for figure in tab.evaluate(FIGURES_JS):
            seen += 1
            chinese = figure["src"].endswith((".zh.png", ".zh.svg")) and CJK.search(figure["alt"])
            if (language == "zh_CN") != bool(chinese):
                problems.append(f"{language}/{slug}: {figure['src']} alt {figure['alt']!r}")
    assert seen, f"no figure on the {language} mapping pages"
    assert not problems, "\n".join(problems)
