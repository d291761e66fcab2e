"""Item 4: a failed build leaves no new output behind (Sphinx writes what it can, then fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from optbridge.sphinxext import build


def fake_sphinx(fail_in: str | None, *, exit_instead: bool = False):
    """Stands in for Sphinx: writes a page into the output folder it is given, then fails in
    the language ``fail_in`` (as a false claim or a data error makes it)."""

    def build_main(argv: list[str]) -> int:
        out = Path(argv[-1])
        language = next(a for a in argv if a.startswith("language=")).split("=")[1]
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(f"new {language} <script>poison</script>")
        if language == fail_in:
            if exit_instead:
                raise SystemExit(2)  # what the extension does on a mapping data error
            return 1
        return 0

    return build_main


@pytest.fixture
def site(tmp_path: Path) -> Path:
    out = tmp_path / "html"
    for language in ("en", "zh_CN"):
        (out / language).mkdir(parents=True)
        (out / language / "index.html").write_text(f"old {language}")
    return out


def contents(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}


@pytest.mark.parametrize("fail_in", ["en", "zh_CN"])
def test_a_failed_build_leaves_the_previous_site(site, monkeypatch, capsys, fail_in):
    before = contents(site)
    monkeypatch.setattr(build, "build_main", fake_sphinx(fail_in))
    assert build.main(["--out", str(site), "--doctrees", str(site.parent / "dt")]) == 1
    assert contents(site) == before
    assert sorted(p.name for p in site.parent.iterdir()) == ["html"]  # no staging copy left
    assert capsys.readouterr().err.strip() == f"The {fail_in} build failed; {site} is unchanged."


def test_a_data_error_exit_leaves_the_previous_site(site, monkeypatch):
    before = contents(site)
    monkeypatch.setattr(build, "build_main", fake_sphinx("en", exit_instead=True))
    with pytest.raises(SystemExit):
        build.main(["--out", str(site), "--doctrees", str(site.parent / "dt")])
    assert contents(site) == before
    assert sorted(p.name for p in site.parent.iterdir()) == ["html"]


def test_a_successful_build_replaces_the_site(site, monkeypatch):
    monkeypatch.setattr(build, "build_main", fake_sphinx(None))
    assert build.main(["--out", str(site), "--doctrees", str(site.parent / "dt")]) == 0
    after = contents(site)
    assert after["en/index.html"].startswith("new en") and "index.html" in after  # landing
    assert sorted(p.name for p in site.parent.iterdir()) == ["html"]


def test_the_first_build_fails_without_leaving_a_site(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "build_main", fake_sphinx("en"))
    assert build.main(["--out", str(tmp_path / "html"), "--doctrees", str(tmp_path / "dt")]) == 1
    assert list(tmp_path.iterdir()) == []
