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
        api = item.mapping.source.api
        en = (site / "en" / "migration" / f"{item.slug}.html").read_text("utf-8")
        zh = (site / "zh_CN" / "migration" / f"{item.slug}.html").read_text("utf-8")
        assert f"Differences with {api}" in en
        assert f"比较与{api}的差异" in zh
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
