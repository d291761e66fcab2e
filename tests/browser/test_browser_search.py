"""Sphinx's client-side search finds the mapping pages, in English and in Chinese, offline."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
from browser_journal import Journal
from browser_site import content_pages
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

RESULT_LINKS = "#search-results ul.search li a"
SEARCH_POLLS, SEARCH_POLL_MS = 40, 250


def search_index(built_site: Path, language: str) -> dict:
    text = (built_site / language / "searchindex.js").read_text("utf-8")
    return json.loads(text[text.index("(") + 1 : text.rindex(")")])


def indexed_mapping_pages(index: dict, term: str) -> set[str]:
    """Mapping pages (under migration/) whose text or title the build indexed under ``term``."""
    docs: set[int] = set()
    for table in ("terms", "titleterms"):
        found = index[table].get(term, [])
        docs.update([found] if isinstance(found, int) else found)
    return {
        f"{index['docnames'][doc]}.html"
        for doc in docs
        if index["docnames"][doc].startswith("migration/")
    }


@pytest.mark.parametrize(
    ("language", "query", "index_term"),
    [("en", "RMSprop", "rmsprop"), ("zh_CN", "学习率", "学习率"), ("zh_CN", "动量", "动量")],
)
def test_search_returns_the_mapping_pages(
    language: str,
    query: str,
    index_term: str,
    built_site: Path,
    tab: Page,
    base_url: str,
    visit: Callable[[str], list[str]],
    journal: Journal,
) -> None:
    expected = indexed_mapping_pages(search_index(built_site, language), index_term)
    # A mapping page named after the query is relevant whatever the index says.
    expected |= {
        page
        for page in content_pages(built_site, language)
        if page.startswith("migration/") and query.lower() in Path(page).name.lower()
    }
    assert expected, f"the {language} search index lists no mapping page under {index_term!r}"

    problems = visit(f"{language}/search.html?q={quote(query)}")
    # Sphinx adds the summary paragraph empty and fills it in once every result is listed.
    summary = tab.locator("#search-results p.search-summary")
    finished = False
    for _ in range(SEARCH_POLLS):  # stop early when a script error has already doomed it
        finished = summary.count() == 1 and bool(summary.inner_text().strip())
        if finished or journal.page_errors:
            break
        tab.wait_for_timeout(SEARCH_POLL_MS)
    if not finished:
        problems.append(f"the search did not finish within {SEARCH_POLLS * SEARCH_POLL_MS} ms")
    # Errors thrown while searching come after the load event.
    problems += [problem for problem in journal.problems() if problem not in problems]
    assert not problems, "\n".join(problems)
    page_url = tab.url
    found = {
        urljoin(page_url, href).removeprefix(f"{base_url}/{language}/").split("?")[0].split("#")[0]
        for href in tab.locator(RESULT_LINKS).evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
    }
    missing = expected - found
    assert not missing, (
        f"searching {query!r} in {language} misses {sorted(missing)}; found {sorted(found)}"
    )


def search_results(tab: Page, visit: Callable[[str], list[str]], language: str,
                   query: str) -> tuple[list[str], list[str]]:
    """The result links of a search, in order, and the problems seen while searching."""
    problems = visit(f"{language}/search.html?q={quote(query)}")
    summary = tab.locator("#search-results p.search-summary")
    for _ in range(SEARCH_POLLS):
        if summary.count() == 1 and summary.inner_text().strip():
            break
        tab.wait_for_timeout(SEARCH_POLL_MS)
    else:
        problems.append(f"the search did not finish within {SEARCH_POLLS * SEARCH_POLL_MS} ms")
    hrefs = tab.locator(RESULT_LINKS).evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    return hrefs, problems


def is_mapping_page(href: str) -> bool:
    page = href.split("?")[0].split("#")[0]
    return page.startswith("migration/") and not page.endswith("index.html")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("query", ["eps", "momentum", "动量", "学习率", "mean_square"])
def test_a_mapping_page_is_the_first_result(
    language: str, query: str, tab: Page, visit: Callable[[str], list[str]]
) -> None:
    """API names, parameter names and Chinese terms lead to a mapping page, in both languages."""
    hrefs, problems = search_results(tab, visit, language, query)
    assert not problems, "\n".join(problems)
    assert hrefs, f"searching {query!r} in {language} found nothing"
    assert is_mapping_page(hrefs[0]), (
        f"searching {query!r} in {language}: the first result is {hrefs[0]}, not a mapping page;"
        f" the first mapping page is result "
        f"{next((n + 1 for n, h in enumerate(hrefs) if is_mapping_page(h)), None)} of "
        f"{len(hrefs)}: {hrefs[:5]}"
    )
