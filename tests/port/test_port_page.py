"""The "Port it" section and the records of the real runs behind it.

The section is rendered from copies of the committed records (``records`` fixture) with the
fields that say what ran set as ``python -m optbridge.port.real`` writes them: torch_npu's
script on PyTorch with the simulated NPU, every other one on its real framework, limited to AVX2.
"""

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
from optbridge.sphinxext.runs import RecordError

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "docs" / "port" / "records"
TABLES = load_all(ROOT / "docs" / "mappings")
BY_SLUG = {item.slug: item for item in TABLES}
ISA = ("AVX2 (MKL_ENABLE_INSTRUCTIONS=AVX2, ONEDNN_MAX_CPU_ISA=AVX2, "
       "ATEN_CPU_CAPABILITY=avx2; CPU: AVX-512)")
#: What ran each script style: (framework, device, simulated).
RAN_ON = {"pytorch": ("PyTorch", "CPU", False), "torch_npu": ("PyTorch", "simulated NPU", True),
          "mindspore": ("MindSpore", "CPU", False), "paddle": ("PaddlePaddle", "CPU", False),
          "keras": ("TensorFlow", "CPU", False), "tf1": ("TensorFlow", "CPU", False),
          "optax": ("optax", "CPU", False)}


@pytest.fixture
def records(tmp_path: Path) -> Path:
    """Every record, copied with the fields that say what ran each side."""
    for path in RECORDS.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        data["isa"] = ISA
        for side in data.values():
            if isinstance(side, dict) and side.get("ran"):
                framework, device, simulated = RAN_ON[side["style"]]
                side.update(framework=framework, device=device, simulated=simulated)
        (tmp_path / path.name).write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


def edit(records: Path, slug: str, change) -> None:
    path = records / (slug.replace("/", "__") + ".json")
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def html_of(item, language: str, records: Path) -> str:
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
def test_section_in_both_languages(item, language: str, records: Path) -> None:
    html = html_of(item, language, records)
    assert ("Port it" if language == "en" else "移植") in html
    assert 'id="port-it"' in html  # the English anchor in both languages
    target = scripts(item.mapping).target.text
    assert "optimizer = " in html and target.splitlines()[-1].split("(")[0] in html
    gap = (("weights differ by at most", "weights are identical") if language == "en"
           else ("权重最多相差", "权重完全相同"))
    assert any(words in html for words in gap)
    assert "at most 0." not in html and "最多相差 0。" not in html
    for caveat in item.mapping.port.caveats:
        first_words = caveat.text[language][:12].replace("`", "")
        assert first_words.split()[0] in html


def test_real_gap_sentence_names_what_ran(records: Path) -> None:
    html = html_of(BY_SLUG["pytorch/RMSprop-mindspore"], "en", records)
    assert ("the PyTorch script on the real PyTorch 2.13.0+cpu (CPU) and the MindSpore script "
            "on the real MindSpore 2.10.0 (CPU): the weights differ by at most 1.2e-06.") in html
    # The instruction set as code: its underscores stay underscores.
    assert 'instruction set <tt class="docutils literal">AVX2 (MKL_ENABLE_INSTRUCTIONS=AVX2, ' \
           "ONEDNN_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2; CPU:" in html
    assert "where the gradients are within 100× of eps, the first update differs by up to 41%" in html.replace("Where", "where")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_a_simulated_run_is_not_called_real(records: Path, language: str) -> None:
    html = html_of(BY_SLUG["pytorch/RMSprop-torch_npu"], language, records)
    if language == "en":
        assert ("the torch_npu script on PyTorch 2.13.0+cpu on the simulated NPU (a simulation, "
                "not torch_npu itself): the weights are identical.") in html
        assert "real frameworks" not in html and "real torch_npu" not in html
    else:
        assert "torch_npu 脚本运行于PyTorch 2.13.0+cpu 加模拟 NPU（模拟运行，并非 torch_npu 本身）：" \
               "权重完全相同。" in html
        assert "真实框架" not in html and "真实的 torch_npu" not in html
    # The same record, saying the target ran for real: now it is called real.
    edit(records, "pytorch/RMSprop-torch_npu",
         lambda d: d["target"].update(framework="torch_npu", version="2.13.0", device="CPU",
                                      simulated=False))
    html = html_of(BY_SLUG["pytorch/RMSprop-torch_npu"], language, records)
    assert ("the real torch_npu 2.13.0 (CPU)" if language == "en" else "真实的 torch_npu 2.13.0") in html


@pytest.mark.parametrize("slug", ["pytorch/RMSprop-oneflow", "oneflow/RMSprop-mindspore"])
def test_a_script_that_did_not_run_is_said_so_in_the_page_language(records: Path,
                                                                  slug: str) -> None:
    why = json.loads((RECORDS / (slug.replace("/", "__") + ".json")).read_text())
    why = next(side["why"] for side in why.values() if isinstance(side, dict) and not side["ran"])
    assert "placeholder" in why  # the record keeps its English reason, as data
    en, zh = html_of(BY_SLUG[slug], "en", records), html_of(BY_SLUG[slug], "zh", records)
    assert "No gap from runs of both scripts: the OneFlow script was not run, because the " \
           "oneflow package on PyPI is a placeholder" in en
    assert "OneFlow 脚本未运行，因为PyPI 上的 oneflow 包只是一个导入即报错的占位包" in zh
    assert why not in zh and "placeholder" not in zh
    # A script style the page has no words for is an error naming the record, not English text.
    edit(records, slug, lambda d: [s.update(style="jittor") for s in d.values()
                                   if isinstance(s, dict) and not s["ran"]])
    with pytest.raises(RecordError, match=r"__RMSprop-\w+\.json: (source|target): a jittor "
                                          "script did not run"):
        html_of(BY_SLUG[slug], "zh", records)


@pytest.mark.parametrize(("gap", "en", "zh"), [
    (0, "the weights are identical", "权重完全相同"),
    (5.96e-08, "the weights differ by at most 6e-08", "权重最多相差 6e-08"),
])
def test_a_zero_gap_reads_as_identical(tmp_path: Path, records: Path, gap: float, en: str,
                                       zh: str) -> None:
    """The simulation's gap from the table and the real one from the record."""
    source = ROOT / "docs" / "mappings" / "pytorch" / "RMSprop-torch_npu.toml"
    text = source.read_text(encoding="utf-8")
    assert text.count("gap = { weights = 5.96e-08 }") == 1
    path = tmp_path / "tables" / "pytorch" / source.name
    path.parent.mkdir(parents=True)
    path.write_text(text.replace("gap = { weights = 5.96e-08 }", f"gap = {{ weights = {gap} }}"),
                    encoding="utf-8")
    item = load_mapping(path)
    weights = [1.0, -0.5, 2.0]
    edit(records, item.slug, lambda d: (d["source"].update(weights=weights),
                                        d["target"].update(weights=[w + gap for w in weights]),
                                        d.update(weights_gap=gap)))
    for language, words in (("en", en), ("zh", zh)):
        html = html_of(item, language, records)
        assert html.count(words) == 2, (language, html)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("isa"), r"RMSprop-torch_npu.json: field 'isa' missing"),
    (lambda d: d["target"].pop("simulated"),
     r"RMSprop-torch_npu.json: target: field 'simulated' missing or not a bool"),
    (lambda d: d["target"].update(simulated=False),
     r"RMSprop-torch_npu.json: target: device 'simulated NPU' is a simulation"),
    (lambda d: d["source"].update(framework="PyTorch`"),
     r"RMSprop-torch_npu.json: source: field 'framework' is malformed"),
])
def test_a_record_that_does_not_say_what_ran_is_refused(records: Path, change,
                                                        message: str) -> None:
    edit(records, "pytorch/RMSprop-torch_npu", change)
    with pytest.raises(RecordError, match=message):
        html_of(BY_SLUG["pytorch/RMSprop-torch_npu"], "en", records)


def test_table_text_is_escaped(tmp_path: Path, records: Path) -> None:
    source = ROOT / "docs" / "mappings" / "pytorch" / "Rprop-paddle.toml"
    text = source.read_text(encoding="utf-8").replace(
        "Paddle refuses a learning rate", "<script>alert(1)</script> Paddle refuses a learning rate")
    path = tmp_path / "pytorch" / source.name
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    html = html_of(load_mapping(path), "en", records)
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


def test_alternative_is_shown_with_its_recorded_gap_only(records: Path) -> None:
    html = html_of(BY_SLUG["pytorch/RMSprop-mindspore"], "en", records)
    assert "optimizer = mindspore.experimental.optim.RMSprop(" in html
    assert "on the real MindSpore 2.10.0 (CPU) against the PyTorch script on the real PyTorch " \
           "2.13.0+cpu (CPU): the weights differ by at most 1.1e-06." in html
    assert "The simulation has no counterpart of it" in html
    zero = html_of(BY_SLUG["pytorch/Rprop-mindspore"], "zh", records)
    assert "运行于真实的 MindSpore 2.10.0（CPU），与运行于真实的 PyTorch 2.13.0+cpu（CPU）的 PyTorch " \
           "脚本相比：权重完全相同。" in zero
