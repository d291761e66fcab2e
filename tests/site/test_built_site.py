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
            ran = "Ran on " if language == "en" else "运行环境："
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

# ---- what ran, and which versions, as a reader sees them -------------------------------------

#: pip names of the frameworks, as install lines spell them.
PIP_NAMES = {"torch": "PyTorch", "torch-npu": "torch_npu", "mindspore": "MindSpore",
             "tensorflow-cpu": "TensorFlow", "paddlepaddle": "PaddlePaddle", "optax": "optax"}


def page_text(html: str) -> str:
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


def version_conflicts(text: str) -> dict[str, set[str]]:
    """Frameworks named with two versions in ``text`` (``2.10`` and ``2.10.0+cpu`` are one:
    the local label is dropped, and a shorter version that prefixes a longer one agrees)."""
    from optbridge.mappings.vocabulary import FRAMEWORKS

    found: dict[str, set[str]] = {}
    for name in FRAMEWORKS.values():
        for match in re.finditer(rf"(?<![\w.]){re.escape(name)} (\d+(?:\.\w+)*)", text):
            found.setdefault(name, set()).add(match.group(1))
    for pip, name in PIP_NAMES.items():
        for match in re.finditer(rf"(?<![\w-]){re.escape(pip)}==(\d+(?:\.\w+)*)", text):
            found.setdefault(name, set()).add(match.group(1))

    def agree(a: str, b: str) -> bool:
        a_parts, b_parts = a.split("."), b.split(".")
        return a_parts[:len(b_parts)] == b_parts or b_parts[:len(a_parts)] == a_parts

    return {name: versions for name, versions in found.items()
            if any(not agree(a, b) for a in versions for b in versions)}


def test_version_conflicts_are_found() -> None:
    """What the torch_npu page said before: three torch_npu versions."""
    text = ("(checked against torch_npu 2.12.0.post3) pip install torch==2.13.0 "
            "torch-npu==2.13.0 Ran on torch_npu 2.13.0+cpu (simulated NPU) MindSpore 2.10 "
            "MindSpore 2.10.0")
    assert version_conflicts(text) == {"torch_npu": {"2.12.0.post3", "2.13.0"}}


def test_each_page_names_one_version_per_framework(site: Path) -> None:
    pages = sorted(site.glob("*/migration/**/*.html")) + sorted(site.glob("*/index.html"))
    assert pages
    for page in pages:
        assert version_conflicts(page_text(page.read_text("utf-8"))) == {}, page


def overstatements(text: str, simulated_or_absent: list[tuple[str, str]], language: str,
                   simulated: bool) -> list[str]:
    """Words in ``text`` calling real a run that was simulated or did not happen: each entry
    is (the framework the script is written for, its API); ``simulated``: some recorded run was
    simulated (a caption may call the recorded runs real only when none was)."""
    found = [words for words in ("On the real frameworks", "在真实框架上", "were run on the real",
                                 "在真实框架上运行") if words in text]
    if simulated:
        found += [w for w in ("the recorded real runs", "记录下的真实运行") if w in text]
    for shown, api in simulated_or_absent:
        real = (f"the real {shown} ", f"{api} (real") if language == "en" else \
               (f"真实的 {shown} ", f"{api} (真实运行")
        found += [words for words in real if words in text]
    return found


def test_overstatements_are_found() -> None:
    """What the torch_npu page said before."""
    old = ("the recorded real runs (solid lines) ... On the real frameworks (PyTorch 2.13.0+cpu, "
           "torch_npu 2.13.0+cpu ...)")
    assert overstatements(old, [("torch_npu", "torch_npu.optim.NpuFusedRMSprop")], "en",
                          True) == [
        "On the real frameworks", "the recorded real runs"]
    assert overstatements("torch_npu.optim.NpuFusedRMSprop (真实运行)",
                          [("torch_npu", "torch_npu.optim.NpuFusedRMSprop")], "zh",
                          True) == [
        "torch_npu.optim.NpuFusedRMSprop (真实运行"]


def test_no_page_calls_a_simulated_or_skipped_run_real(site: Path, repo_root: Path) -> None:
    """The page and its figure, in both languages, against the records of its snippets."""
    import json

    from optbridge.frameworks import registry
    from optbridge.native import for_mapping

    for item in load_all(repo_root / "docs" / "mappings"):
        not_real, simulated = [], False
        for snippet in for_mapping(item.slug).values():
            side = next(s for s in (item.mapping.source, item.mapping.target)
                        if s.framework == registry()[snippet.room].mapping_key)
            ran = snippet.executed and json.loads(snippet.record_path.read_text())["simulated"]
            simulated = simulated or ran
            if not snippet.executed or ran:
                not_real.append((registry()[snippet.room].display_name, side.api))
        for language in ("en", "zh_CN"):
            html = (site / language / "migration" / f"{item.slug}.html").read_text("utf-8")
            svg = re.search(r'<img [^>]*src="([^"]*\.native\.\w+\.svg)"', html)
            assert svg, (item.slug, language)
            figure = (site / language / "migration" / item.slug).parent / svg.group(1)
            text = page_text(html) + figure.read_text("utf-8")
            assert overstatements(text, not_real, language[:2], simulated) == [], (item.slug, language)
            if any(not s.executed for s in for_mapping(item.slug).values()):
                ran = "ran the" if language == "en" else "上运行了"
                assert page_text(html).count(ran) == 1, (item.slug, language, "both ran?")
                english = ("placeholder", "Not yet run", "raises on import")
                if language == "zh_CN":
                    assert not [w for w in english if w in page_text(html)], item.slug
