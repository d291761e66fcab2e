"""The "Port it" section and the records of the real runs behind it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from docutils import nodes
from docutils.core import publish_from_doctree
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from optbridge.mappings import load_all, load_mapping
from optbridge.port.page import record_problems, scripts
from optbridge.sphinxext.port_section import port_section

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "docs" / "port" / "records"
TABLES = load_all(ROOT / "docs" / "mappings")


def html_of(item, language: str, records: Path = RECORDS) -> str:
    document = new_document("test", get_default_settings(Parser))

    def make_section(title: str, anchor: str) -> nodes.section:
        # As the site's SectionFactory: the id comes from the English title in every language.
        section = nodes.section(ids=[nodes.make_id(anchor)])
        section += nodes.title(title, title)
        return section

    document += port_section(item, language, make_section, records)
    return publish_from_doctree(document, writer="html").decode()


@pytest.mark.parametrize("item", TABLES, ids=lambda i: i.slug)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_section_in_both_languages(item, language: str) -> None:
    html = html_of(item, language)
    assert ("Port it" if language == "en" else "移植") in html
    assert 'id="port-it"' in html  # the English anchor in both languages
    target = scripts(item.mapping).target.text
    assert "optimizer = " in html and target.splitlines()[-1].split("(")[0] in html
    assert ("weights differ by at most" if language == "en" else "权重最多相差") in html
    for caveat in item.mapping.port.caveats:
        first_words = caveat.text[language][:12].replace("`", "")
        assert first_words.split()[0] in html


def test_real_gap_sentence_names_versions() -> None:
    item = next(i for i in TABLES if i.slug == "pytorch/RMSprop-mindspore")
    html = html_of(item, "en")
    assert "On the real frameworks (PyTorch 2.13.0+cpu, MindSpore 2.10.0" in html
    assert "where the gradients are within 100× of eps, the first update differs by up to 41%" in html.replace("Where", "where")
    oneflow = next(i for i in TABLES if i.slug == "pytorch/RMSprop-oneflow")
    assert "Not yet run on the real frameworks: oneflow on PyPI is a placeholder" in html_of(oneflow, "en")


def test_table_text_is_escaped(tmp_path: Path) -> None:
    source = ROOT / "docs" / "mappings" / "pytorch" / "Rprop-paddle.toml"
    text = source.read_text(encoding="utf-8").replace(
        "Paddle refuses a learning rate", "<script>alert(1)</script> Paddle refuses a learning rate")
    path = tmp_path / "pytorch" / source.name
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    html = html_of(load_mapping(path), "en")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("item", TABLES, ids=lambda i: i.slug)
def test_real_run_record_is_current_and_consistent(item) -> None:
    assert record_problems(item, RECORDS) == []


def test_tampered_and_stale_records_fail(tmp_path: Path) -> None:
    item = next(i for i in TABLES if i.slug == "pytorch/Rprop-mindspore")
    name = "pytorch__Rprop-mindspore.json"
    shutil.copy(RECORDS / name, tmp_path / name)
    data = json.loads((tmp_path / name).read_text(encoding="utf-8"))
    data["target"]["weights"][0] += 1e-3
    (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
    assert "is not the recorded weights'" in record_problems(item, tmp_path)[0]
    data = json.loads((RECORDS / name).read_text(encoding="utf-8"))
    data["target"]["sha256"] = "0" * 64
    (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
    assert "changed since they last ran: run python -m optbridge.port.real --only " \
           "pytorch/Rprop-mindspore" in record_problems(item, tmp_path)[0]
    (tmp_path / name).unlink()
    assert "missing" in record_problems(item, tmp_path)[0]


def test_alternative_is_shown_with_its_recorded_gap_only() -> None:
    item = next(i for i in TABLES if i.slug == "pytorch/RMSprop-mindspore")
    html = html_of(item, "en")
    assert "optimizer = mindspore.experimental.optim.RMSprop(" in html
    assert "mindspore.experimental.optim.RMSprop</span></code> ends with weights that differ by " \
           "at most 1.1e-06" in html or "ends with weights that differ by at most 1.1e-06" in html
    assert "The simulation has no counterpart of it" in html
