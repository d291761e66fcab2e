"""The built site: every page in both languages, switcher links that resolve, nothing remote."""

from __future__ import annotations

import json
import re
from pathlib import Path

from optbridge.mappings import load_all

SWITCH = re.compile(r'class="nav-link optbridge-language-switch" href="([^"]+)"')
REMOTE_ASSET = re.compile(r'<(?:script|link|img)[^>]+(?:src|href)="(?:https?:)?//', re.IGNORECASE)


def pages(root: Path) -> set[str]:
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if not p.relative_to(root).as_posix().startswith("_static/")
    }


def test_both_languages_have_the_same_pages(site: Path) -> None:
    en, zh = pages(site / "en"), pages(site / "zh_CN")
    assert en == zh, sorted(en ^ zh)
    assert len(en) > 10


def test_every_mapping_has_a_page_in_each_language(site: Path, repo_root: Path) -> None:
    for item in load_all(repo_root / "docs" / "mappings"):
        source, target = item.mapping.source.api, item.mapping.target.api
        en = (site / "en" / "migration" / f"{item.slug}.html").read_text("utf-8")
        zh = (site / "zh_CN" / "migration" / f"{item.slug}.html").read_text("utf-8")
        assert f"Differences between {source} and {target}" in en
        assert f"{source} 与 {target} 的差异" in zh
        for heading in ("差异对比", "分类", "子类"):
            assert heading in zh, (item.slug, heading)


def test_language_switcher_opens_the_same_page(site: Path) -> None:
    for language, other in (("en", "zh_CN"), ("zh_CN", "en")):
        for page in pages(site / language):
            html = (site / language / page).read_text("utf-8")
            links = set(SWITCH.findall(html))
            assert len(links) == 1, (language, page, links)
            target = (site / language / page).parent / links.pop()
            assert target.resolve() == (site / other / page).resolve(), (language, page)


def test_root_index_offers_both_languages(site: Path) -> None:
    html = (site / "index.html").read_text("utf-8")
    assert 'href="en/index.html"' in html and 'href="zh_CN/index.html"' in html


def test_no_page_loads_remote_assets(site: Path) -> None:
    offenders = [
        f"{language}/{page}"
        for language in ("en", "zh_CN")
        for page in pages(site / language)
        if REMOTE_ASSET.search((site / language / page).read_text("utf-8"))
    ]
    assert not offenders, offenders


def test_chinese_search_index_has_chinese_terms(site: Path) -> None:
    text = (site / "zh_CN" / "searchindex.js").read_text("utf-8")
    terms = json.loads(text[text.index("(") + 1 : text.rindex(")")])["terms"]
    assert {"学习率", "动量"} <= set(terms)


RUNNING_TIME = re.compile(
    r"(?:Total running time of the script:</strong> \((\d+) minutes ([\d.]+) seconds\)"
    r"|脚本总运行时间：</strong>(\d+) 分 ([\d.]+) 秒)"
)


def test_every_example_ran_in_the_build(site: Path, repo_root: Path) -> None:
    """A page reporting 0 s means sphinx-gallery showed an example that never ran."""
    scripts = sorted(p.stem for p in (repo_root / "examples").glob("plot_*.py"))
    assert scripts
    for language in ("en", "zh_CN"):
        for script in scripts:
            html = (site / language / "auto_examples" / f"{script}.html").read_text("utf-8")
            match = RUNNING_TIME.search(html)
            assert match, (language, script, "no running time")
            minutes, secs = (g for g in match.groups() if g is not None)
            seconds = int(minutes) * 60 + float(secs)
            assert seconds > 0, (language, script, "reports 0 seconds: it did not run")


def test_mapping_pages_show_native_code_and_real_runs(site: Path, repo_root: Path) -> None:
    from optbridge.native import for_mapping

    for item in load_all(repo_root / "docs" / "mappings"):
        pages = {
            language: (site / language / "migration" / f"{item.slug}.html").read_text("utf-8")
            for language in ("en", "zh_CN")
        }
        snippets = for_mapping(item.slug)
        executed = [s for s in snippets.values() if s.executed]
        for language, html in pages.items():
            assert html.count('class="sd-tab-label"') >= 2, (item.slug, language, "no tabs")
            suffix = "en" if language == "en" else "zh"  # the figure in the page's language
            assert re.search(rf'<img [^>]*src="[^"]*\.native\.{suffix}\.svg"', html), (
                item.slug, language, "no figure in the page's language")
            assert "auto_examples/plot_" in html, (item.slug, language, "no gallery link")
            ran = "Ran on " if language == "en" else "上运行（"
            assert html.count(ran) == len(executed), (item.slug, language, "ran-on lines")
            for snippet in snippets.values():
                first_import = next(line for line in snippet.path.read_text().splitlines()
                                    if line.startswith(("import ", "from ")))
                assert first_import.split()[1] in html, (item.slug, language, snippet.framework)
            if len(executed) < 2:
                assert ("Not executed" if language == "en" else "未运行") in html, item.slug
        # One recorded run, shown in both languages: the same printed output.
        outputs = {
            language: re.findall(r'<div class="highlight-text[^>]*>(.*?)</pre>', html, re.DOTALL)
            for language, html in pages.items()
        }
        assert outputs["en"] == outputs["zh_CN"] and len(outputs["en"]) == len(executed), item.slug