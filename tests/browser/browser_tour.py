"""One visit per page, collecting everything the per-page tests check.

Opening each of the ~100 pages once (instead of once per test) keeps the browser suite near a
minute on two busy cores; the tests then judge the collected facts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from browser_journal import Journal
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

# conf.py's copybutton_prompt_text: with prompts, only prompt lines are copied, prompts removed.
PROMPT = re.compile(r"^(>>> |\.\.\. |\$ )(.*)")
COPY_BUTTON = "button.copybtn"

# Everything about a loaded page, in one round trip. Copy buttons are pressed from the page's own
# script (the clipboard handler is the same); one is then clicked for real by the tour.
PAGE_FACTS_JS = """async () => {
    const codeOf = button => {
        const target = document.querySelector(button.getAttribute('data-clipboard-target'));
        if (!target) return null;
        const clone = target.cloneNode(true);
        clone.querySelectorAll('.linenos').forEach(node => node.remove());
        return clone.textContent;
    };
    const copies = [];
    for (const button of document.querySelectorAll('button.copybtn')) {
        // A block inside a closed tab cannot be pressed: open the tabs around it first.
        for (let panel = button.closest('.sd-tab-content'); panel;
             panel = panel.parentElement && panel.parentElement.closest('.sd-tab-content')) {
            const input = panel.previousElementSibling?.previousElementSibling;
            if (input instanceof HTMLInputElement && !input.checked) input.click();
        }
        await navigator.clipboard.writeText('');
        button.click();
        copies.push({code: codeOf(button), copied: await navigator.clipboard.readText()});
    }
    return {
        lang: document.documentElement.getAttribute('lang'),
        h1: document.querySelectorAll('main h1').length,
        codeBlocks: document.querySelectorAll('div.highlight pre').length,
        brokenImages: Array.from(document.images)
            .filter(img => img.complete && img.naturalWidth === 0 && img.getAttribute('src'))
            .map(img => img.getAttribute('src')),
        switches: Array.from(document.querySelectorAll('a.optbridge-language-switch'))
            .filter(link => link.checkVisibility()).map(link => link.href),
        copies: copies,
    };
}"""


def expected_copy(code: str) -> str:
    """What sphinx-copybutton should put on the clipboard for a block's text."""
    lines = code.split("\n")
    matches = [PROMPT.match(line) for line in lines]
    if any(matches):
        lines = [
            match.group(2) if match else line
            for line, match in zip(lines, matches, strict=True)
            if match or not line.strip()
        ]
    return "\n".join(lines).removesuffix("\n")


@dataclass
class PageReport:
    path: str  # "en/guide/index.html"
    problems: list[str] = field(default_factory=list)  # console, requests, failed checks
    lang: str | None = None
    h1: int = 0
    code_blocks: int = 0
    broken_images: list[str] = field(default_factory=list)
    switches: list[str] = field(default_factory=list)  # absolute URLs of the visible switchers
    copy_problems: list[str] = field(default_factory=list)
    copy_buttons: int = 0
    clicked_copy_button: bool = False  # one pressed with the mouse, not from the page's script


def tour_page(
    tab: Page, visit: Callable[[str], list[str]], journal: Journal, path: str
) -> PageReport:
    report = PageReport(path=path, problems=visit(path))
    try:
        facts = tab.evaluate(PAGE_FACTS_JS)
        report.lang, report.h1 = facts["lang"], facts["h1"]
        report.code_blocks, report.broken_images = facts["codeBlocks"], facts["brokenImages"]
        report.switches, report.copy_buttons = facts["switches"], len(facts["copies"])
        for index, copy in enumerate(facts["copies"]):
            if copy["code"] is None or copy["copied"] != expected_copy(copy["code"]):
                report.copy_problems.append(
                    f"copy button {index} copied {copy['copied'][:60]!r}, expected "
                    f"{expected_copy(copy['code'] or '')[:60]!r}"
                )
        _click_one_copy_button(tab, report)
    except PlaywrightError as exc:  # one broken page must not hide what the others show
        report.problems.append(f"could not inspect the page: {exc.message.splitlines()[0]}")
    # Errors raised by pressing the buttons come after the load.
    report.problems += [problem for problem in journal.problems() if problem not in report.problems]
    return report


def _click_one_copy_button(tab: Page, report: PageReport) -> None:
    """A real mouse click on the first visible button: it must be on top and clickable."""
    button = tab.locator(f"{COPY_BUTTON} >> visible=true").first
    if report.copy_buttons == 0 or button.count() == 0:
        return
    target = button.get_attribute("data-clipboard-target") or ""
    code = tab.locator(target).evaluate(
        "pre => { const c = pre.cloneNode(true);"
        " c.querySelectorAll('.linenos').forEach(n => n.remove()); return c.textContent; }"
    )
    tab.evaluate("navigator.clipboard.writeText('')")
    button.click(timeout=5_000)
    report.clicked_copy_button = True
    copied = tab.evaluate("navigator.clipboard.readText()")
    if copied != expected_copy(code):
        report.copy_problems.append(
            f"clicking the copy button of {target} copied {copied[:60]!r}, "
            f"expected {expected_copy(code)[:60]!r}"
        )
