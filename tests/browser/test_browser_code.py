"""Code blocks: every copy button puts its block on the clipboard; synchronized tabs switch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from browser_journal import Journal
from browser_site import LANGUAGES, content_pages
from browser_tour import PageReport, expected_copy
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SYNC_LABEL = ".sd-tab-label[data-sync-group][data-sync-id]"

# For every synced label: is its tab selected, and is its panel the one shown?
TAB_STATE_JS = """(selector) => Array.from(document.querySelectorAll(selector)).map(label => {
    const input = document.getElementById(label.getAttribute('for'));
    const panel = label.nextElementSibling;
    return {group: label.dataset.syncGroup, id: label.dataset.syncId, set: input && input.name,
            checked: !!(input && input.checked),
            shown: !!(panel && panel.checkVisibility && panel.checkVisibility())};
})"""


def test_expected_copy_follows_the_prompt_rules() -> None:
    assert expected_copy("x = 1\ny = 2\n") == "x = 1\ny = 2"
    assert expected_copy(">>> x = 1\n1\n\n$ make html\n") == "x = 1\n\nmake html"


def pages_containing(built_site: Path, language: str, marker: str) -> list[str]:
    root = built_site / language
    return [
        page
        for page in content_pages(built_site, language)
        if marker in (root / page).read_text("utf-8")
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_copy_button_copies_its_code_block(
    language: str, site_tour: dict[str, list[PageReport]]
) -> None:
    # sphinx-copybutton adds its buttons at run time, one to every `div.highlight pre`.
    reports = [report for report in site_tour[language] if report.code_blocks]
    assert reports, f"no {language} page has a code block"
    problems = []
    for report in reports:
        if report.copy_buttons != report.code_blocks:
            problems.append(
                f"{report.path}: {report.copy_buttons} copy buttons for {report.code_blocks} blocks"
            )
        problems += [f"{report.path}: {problem}" for problem in report.copy_problems]
    assert any(report.clicked_copy_button for report in reports), "no copy button was clickable"
    assert not problems, "\n".join(problems)


def tab_problems(labels: list[dict], group: str, sync_id: str, when: str) -> list[str]:
    """Every tab-set of ``group`` that offers ``sync_id`` must show it, and only it."""
    labels = [label for label in labels if label["group"] == group]
    offering = {label["set"] for label in labels if label["id"] == sync_id}
    problems = []
    for label in labels:
        selected = label["id"] == sync_id
        if label["set"] in offering and (label["checked"], label["shown"]) != (selected, selected):
            problems.append(
                f"{when} {group}={sync_id}, the tab {label['id']!r} is "
                f"{'selected' if label['checked'] else 'not selected'} and "
                f"{'shown' if label['shown'] else 'hidden'}"
            )
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_synchronized_code_tabs_switch_together(
    language: str,
    built_site: Path,
    tab: Page,
    visit: Callable[[str], list[str]],
    journal: Journal,
) -> None:
    """Choosing a side switches every tab-set of its group, on this page and on the next ones."""
    pages = pages_containing(built_site, language, "data-sync-group")
    assert pages, (
        f"no {language} page has synchronized tabs (sphinx-design tab-set with :sync-group:); "
        "the mapping pages are meant to"
    )
    visit(f"{language}/{pages[0]}")
    tab.evaluate("localStorage.clear()")  # no choice left over from an earlier run of the tab
    problems, chosen, switches, carried_over = [], {}, 0, 0
    for page in pages:
        path = f"{language}/{page}"
        load_problems = visit(path)
        problems += [f"{path}: {problem}" for problem in load_problems]
        labels = tab.evaluate(TAB_STATE_JS, SYNC_LABEL)
        groups: dict[str, list[str]] = {}
        for label in labels:
            ids = groups.setdefault(label["group"], [])
            if label["id"] not in ids:
                ids.append(label["id"])
        for group, ids in groups.items():
            if chosen.get(group) in ids:  # the choice made on an earlier page must hold here
                carried_over += 1
                when = "on opening the page after choosing"
                problems += [
                    f"{path}: {p}" for p in tab_problems(labels, group, chosen[group], when)
                ]
            # Choose another side than the current one, so that every page switches something.
            previous = chosen.get(group)
            sync_id = ids[(ids.index(previous) + 1) % len(ids)] if previous in ids else ids[-1]
            selector = f'{SYNC_LABEL}[data-sync-group="{group}"][data-sync-id="{sync_id}"]'
            tab.locator(selector).first.click()
            switches += 1
            after = tab.evaluate(TAB_STATE_JS, SYNC_LABEL)
            problems += [
                f"{path}: {p}" for p in tab_problems(after, group, sync_id, "after choosing")
            ]
            chosen[group] = sync_id
        # Errors raised by the clicks come after the load.
        problems += [f"{path}: {new}" for new in journal.problems() if new not in load_problems]
    assert switches, f"no {language} synchronized tab could be clicked on {pages}"
    if len(pages) > 1:
        assert carried_over, f"no choice was carried from one {language} page to the next"
    assert not problems, "\n".join(problems)
