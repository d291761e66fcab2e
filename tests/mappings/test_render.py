"""The Sphinx extension renders a data file into a page per language, escaped, or stops the build."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
# A complete file whose every claim holds: the page build runs its checks and fails otherwise.
CORRECT = FIXTURES / "claims" / "pytorch" / "correct.toml"
FIRST_NOTE = 'en = "The parameters to optimize, e.g. `model.parameters()`'
EXAMPLES = '[[examples]]\nscript = "plot_pytorch_rprop_paddle"\n'  # no gallery in these builds
CONF = """
extensions = ["myst_parser", "optbridge.sphinxext"]
optbridge_mappings_dir = "mappings"
exclude_patterns = ["mappings/**"]
"""
INDEX = "# Test\\n\\n```{toctree}\\nmigration/index\\nguide\\n```\\n"
# The page that defines the test problems the notes link to.
GUIDE = Path(__file__).parents[2] / "docs" / "guide" / "reading-a-mapping-page.md"


def make_project(root: Path, note: str | None = None) -> Path:
    (root / "mappings" / "pytorch").mkdir(parents=True)
    text = CORRECT.read_text(encoding="utf-8").replace(EXAMPLES, "")
    if note is not None:
        text = text.replace(FIRST_NOTE, f'en = "{note}')
    (root / "mappings" / "pytorch" / "Rprop-paddle.toml").write_text(text, encoding="utf-8")
    (root / "conf.py").write_text(CONF, encoding="utf-8")
    (root / "index.md").write_text(INDEX.replace("\\n", "\n"), encoding="utf-8")
    (root / "guide.md").write_text(GUIDE.read_text(encoding="utf-8"), encoding="utf-8")
    return root


def build(src: Path, language: str) -> subprocess.CompletedProcess[str]:
    out = src / "_build" / language
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", "-D", f"language={language}",
         "-d", str(src / "_doctrees" / language), str(src), str(out)],
        check=False, capture_output=True, text=True, timeout=120,
    )


def page_text(html: str) -> str:
    body = html[html.find("<body") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = make_project(tmp_path_factory.mktemp("site"), note="<script>alert(1)</script> `x<y`")
    for language in ("en", "zh_CN"):
        result = build(src, language)
        assert result.returncode == 0, result.stderr
    return src / "_build"


def test_english_page(built: Path) -> None:
    html = (built / "en" / "migration" / "pytorch" / "Rprop-paddle.html").read_text("utf-8")
    text = page_text(html)
    assert "Differences between torch.optim.Rprop and paddle.optimizer.Rprop" in text
    assert "Categories Subcategories PyTorch PaddlePaddle Difference" in text
    assert "Consistent function, different parameter names and default values" in text
    assert "For more information, see" in text
    assert "This build verified" in text
    assert "https://docs.pytorch.org/docs/2.13/generated/torch.optim.Rprop.html" in html
    assert "https://www.paddlepaddle.org.cn/documentation/docs/en/api/paddle/optimizer/Rprop_en.html" in html
    # a note's [words](ref:label) links the test problem on the guide page
    assert re.search(r'href="\.\./\.\./guide\.html#problem-sign-flip"', html)


def test_chinese_page(built: Path) -> None:
    html = (built / "zh_CN" / "migration" / "pytorch" / "Rprop-paddle.html").read_text("utf-8")
    text = page_text(html)
    assert "torch.optim.Rprop 与 paddle.optimizer.Rprop 的差异" in text
    assert "分类 子类 PyTorch PaddlePaddle 差异" in text
    assert "功能存在差异：待优化的参数" in text
    assert "功能一致，参数名及默认值不同" in text
    # the Chinese page links Paddle's Chinese docs, and the problems on the (Chinese) guide
    assert "https://www.paddlepaddle.org.cn/documentation/docs/zh/api/paddle/optimizer/Rprop_cn.html" in html
    assert "docs/en/api/paddle" not in html
    assert re.search(r'href="\.\./\.\./guide\.html#problem-sign-flip"', html)
    assert "PaddlePaddle无此参数" in text and "PyTorch无此参数" in text
    assert "本次构建验证了本页的" in text


def test_note_markup_is_escaped(built: Path) -> None:
    html = (built / "en" / "migration" / "pytorch" / "Rprop-paddle.html").read_text("utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.search(r"<code[^>]*>.*x&lt;y.*</code>", html)


def test_index_and_matrix_link_the_page(built: Path) -> None:
    for language in ("en", "zh_CN"):
        index = (built / language / "migration" / "pytorch" / "index.html").read_text("utf-8")
        assert 'href="Rprop-paddle.html"' in index
        matrix = (built / language / "migration" / "index.html").read_text("utf-8")
        assert 'href="pytorch/Rprop-paddle.html"' in matrix


def test_false_claim_fails_the_page(tmp_path: Path) -> None:
    src = make_project(tmp_path)
    wrong = (FIXTURES / "claims" / "pytorch" / "wrong-verdict.toml").read_text(encoding="utf-8")
    (src / "mappings" / "pytorch" / "Rprop-paddle.toml").write_text(
        wrong.replace(EXAMPLES, ""), encoding="utf-8"
    )
    result = build(src, "en")
    assert result.returncode != 0
    assert "false claims" in result.stderr and "checks.default_lr" in result.stderr


def test_bad_file_stops_the_build_with_one_line_per_problem(tmp_path: Path) -> None:
    src = make_project(tmp_path)
    bad = (FIXTURES / "schema" / "pytorch" / "missing-note-zh.toml").read_text(encoding="utf-8")
    (src / "mappings" / "pytorch" / "broken.toml").write_text(bad, encoding="utf-8")
    result = build(src, "en")
    assert result.returncode != 0
    assert "Mapping data error: 1 problem(s)" in result.stderr
    assert "pytorch/broken.toml: parameters[1].note.zh: missing" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (src / "_build" / "en" / "migration").exists(), "a page was half-rendered"


def test_removed_file_removes_its_page(tmp_path: Path) -> None:
    src = make_project(tmp_path)
    assert build(src, "en").returncode == 0
    assert (src / "migration" / "pytorch" / "Rprop-paddle.md").exists()
    other = CORRECT.read_text(encoding="utf-8").replace(EXAMPLES, "")
    (src / "mappings" / "pytorch" / "Other-paddle.toml").write_text(other, encoding="utf-8")
    (src / "mappings" / "pytorch" / "Rprop-paddle.toml").unlink()
    assert build(src, "en").returncode == 0, "stale page should not break the build"
    assert not (src / "migration" / "pytorch" / "Rprop-paddle.md").exists()
    matrix = (src / "_build" / "en" / "migration" / "index.html").read_text("utf-8")
    assert "Other-paddle.html" in matrix and "Rprop-paddle.html" not in matrix


def test_mapping_without_its_native_snippets_fails_the_build(tmp_path: Path) -> None:
    """With native snippets configured, every mapping needs both sides' scripts."""
    src = make_project(tmp_path)
    (src / "native").mkdir()
    (src / "conf.py").write_text(CONF + '\noptbridge_native_dir = "native"\n', encoding="utf-8")
    result = build(src, "en")
    assert result.returncode != 0
    assert "pytorch/Rprop-paddle: expected one snippet" in result.stderr, result.stderr
