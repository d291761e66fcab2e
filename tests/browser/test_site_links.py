"""No broken internal link anywhere in the built site (files and #fragments); needs no browser."""

from __future__ import annotations

from pathlib import Path

from browser_site import all_html_files, broken_links, parse_page


def test_no_broken_internal_links(built_site: Path) -> None:
    pages = all_html_files(built_site)
    assert len(pages) > 10, f"only {len(pages)} HTML files under {built_site}"
    assert sum(len(parse_page(page).links) for page in pages) > len(pages), "no links parsed"
    broken = broken_links(built_site)
    assert not broken, f"{len(broken)} broken internal links:\n" + "\n".join(broken)


def test_the_crawl_reports_missing_files_and_fragments(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "a.html").write_text(
        '<h1 id="top">A</h1><a href="b.html#here">ok</a><a href="b.html#gone">frag</a>'
        '<a href="missing.html">file</a><img src="../img.png"><a href="#top">self</a>'
        '<a href="https://example.org/x">external</a><a href="/en/a.html">root</a>'
        '<a href="../../outside.html">outside</a>',
        encoding="utf-8",
    )
    (tmp_path / "en" / "b.html").write_text('<p id="here">B</p>', encoding="utf-8")
    broken = broken_links(tmp_path)
    assert len(broken) == 5, broken
    for fragment in ("#gone", "missing.html", "img.png", "root-relative", "outside the site"):
        assert any(fragment in line for line in broken), (fragment, broken)
