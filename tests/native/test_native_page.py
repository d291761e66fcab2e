"""The native code section says what ran, from the records, in both languages.

The records are copies of the committed ones (in ``tmp_path``) with the fields that say what ran
set as ``make frameworks`` writes them: torch_npu's scripts on PyTorch with the simulated NPU,
the others on their real framework, every one limited to AVX2. Each check is paired with the
record edit that flips it, so a page whose words do not follow the record fails.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from optbridge.mappings import load_all
from optbridge.native import SnippetError
from optbridge.native.snippets import FRAMEWORKS_DIR, ROOT, SNIPPETS_DIR
from optbridge.sphinxext.native import Side, caption, figure_svg, intro, native_markdown, sides

ITEMS = {item.slug: item for item in load_all(ROOT / "docs" / "mappings")}
ISA = ("AVX2 (MKL_ENABLE_INSTRUCTIONS=AVX2, ONEDNN_MAX_CPU_ISA=AVX2, "
       "ATEN_CPU_CAPABILITY=avx2; CPU: AVX-512)")
NPU = "pytorch/RMSprop-torch_npu"
ONEFLOW = "pytorch/RMSprop-oneflow"


def what_ran(room: str) -> dict[str, Any]:
    """The fields ``make frameworks`` writes about what ran a script of ``room``."""
    if room == "torch_npu":
        return {"framework": "PyTorch", "framework_version": "2.13.0+cpu",
                "device": "simulated NPU", "simulated": True, "isa": ISA}
    return {"device": "CPU", "simulated": False, "isa": ISA}


@pytest.fixture
def rooms(tmp_path: Path) -> Path:
    """Every record, copied under ``tmp_path`` with the fields that say what ran."""
    for path in FRAMEWORKS_DIR.glob("*/snippets/*/*.json"):
        copy = tmp_path / path.relative_to(FRAMEWORKS_DIR)
        copy.parent.mkdir(parents=True, exist_ok=True)
        record = json.loads(path.read_text(encoding="utf-8"))
        record.update(what_ran(path.relative_to(FRAMEWORKS_DIR).parts[0]))
        copy.write_text(json.dumps(record), encoding="utf-8")
    return tmp_path


def edit(rooms: Path, room: str, slug: str, change: Callable[[dict], None]) -> None:
    path = rooms / room / "snippets" / f"{slug}.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    change(record)
    path.write_text(json.dumps(record), encoding="utf-8")


def both(rooms: Path, slug: str) -> dict[str, Side]:
    return sides(ITEMS[slug], SNIPPETS_DIR, rooms)


def as_real_cpu(record: dict) -> None:
    """What a record of a run on the real torch_npu would say (none exists)."""
    record.update(framework="torch_npu", framework_version="2.13.0", device="CPU",
                  simulated=False)


def test_a_simulated_run_is_never_called_real(rooms: Path) -> None:
    runs = both(rooms, NPU)
    en, zh = caption(ITEMS[NPU], runs, "en")[0], caption(ITEMS[NPU], runs, "zh")[0]
    assert "recorded real runs" not in en and "记录下的真实运行" not in zh
    assert ("`torch_npu.optim.NpuFusedRMSprop` on PyTorch 2\\.13\\.0\\+cpu on the simulated NPU "
            "(a simulation, not torch\\_npu itself)") in en
    assert "`torch.optim.RMSprop` on the real PyTorch 2\\.13\\.0\\+cpu (CPU)" in en
    assert "PyTorch 2\\.13\\.0\\+cpu 加模拟 NPU（模拟运行，并非 torch\\_npu 本身）" in zh
    page = native_markdown(ITEMS[NPU], runs, "en", "/figure.svg", None)
    assert ("*Ran on PyTorch 2\\.13\\.0\\+cpu on the simulated NPU (a simulation, not "
            "torch\\_npu itself), Python 3\\.11, instruction set `" + ISA + "`; recorded") in page
    assert "ran the torch_npu script on PyTorch 2\\.13\\.0\\+cpu on the simulated NPU" in page
    assert "real frameworks" not in page
    assert "运行环境：PyTorch 2\\.13\\.0\\+cpu 加模拟 NPU" in native_markdown(
        ITEMS[NPU], runs, "zh", "/figure.svg", None)
    for language, word in (("en", "real"), ("zh", "真实运行")):
        svg = figure_svg(ITEMS[NPU], runs, language)
        assert f"NpuFusedRMSprop ({word})" not in svg
        simulated = "simulated NPU" if language == "en" else "模拟 NPU"
        assert f"NpuFusedRMSprop (PyTorch 2.13.0 + {simulated})" in svg
        assert f"torch.optim.RMSprop ({word})" in svg


def test_the_words_follow_the_record(rooms: Path) -> None:
    """The same page from a record that says the run was real: now it is called real."""
    edit(rooms, "torch_npu", NPU, as_real_cpu)
    runs = both(rooms, NPU)
    assert caption(ITEMS[NPU], runs, "en")[0].startswith(
        "Training loss per step: the recorded real runs (solid lines)")
    assert "记录下的真实运行（实线）" in caption(ITEMS[NPU], runs, "zh")[0]
    assert "NpuFusedRMSprop (real)" in figure_svg(ITEMS[NPU], runs, "en")
    assert "ran the torch_npu script on the real torch\\_npu 2\\.13\\.0 (CPU)" in \
        intro(runs, "en")


@pytest.mark.parametrize("slug", [ONEFLOW, "oneflow/RMSprop-mindspore"])
def test_a_script_that_did_not_run_is_said_not_to_have_run(rooms: Path, slug: str) -> None:
    runs = both(rooms, slug)
    en, zh = intro(runs, "en"), intro(runs, "zh")
    assert en.count("`make frameworks` ran the") == 1
    assert "The OneFlow script was not executed" in en and "OneFlow 脚本未运行" in zh
    assert "real frameworks" not in en and "真实框架" not in zh
    text, alt = caption(ITEMS[slug], runs, "en")
    assert "the recorded real runs" in text  # the one recorded run is real
    assert "The OneFlow script was not executed: the figure has no run of it" in text
    assert "OneFlow 脚本未运行：图中没有它的运行" in caption(ITEMS[slug], runs, "zh")[0]
    assert alt == "Training loss per step, recorded real runs and simulation"


def test_a_side_that_ran_is_not_said_absent(rooms: Path) -> None:
    runs = both(rooms, "pytorch/RMSprop-mindspore")
    assert "not executed" not in caption(ITEMS["pytorch/RMSprop-mindspore"], runs, "en")[0]
    assert intro(runs, "en").count("`make frameworks` ran the") == 2


def test_no_recorded_run_claims_none(rooms: Path) -> None:
    runs = {name: Side(side.snippet, None) for name, side in both(rooms, NPU).items()}
    text, alt = caption(ITEMS[NPU], runs, "en")
    assert "recorded" not in text and text.startswith("Training loss per step of our simulation")
    assert text.count("script was not executed") == 2 and alt == "Training loss per step, simulation"


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r.pop("simulated"), "field 'simulated' missing or not a bool"),
    (lambda r: r.__setitem__("simulated", "false"), "field 'simulated' missing or not a bool"),
    (lambda r: r.__setitem__("simulated", False), "device 'simulated NPU' is a simulation, but field"),
    (lambda r: r.__setitem__("device", "GPU"), "field 'device' is 'GPU', not one of"),
    (lambda r: r.pop("isa"), "field 'isa' missing"),
    (lambda r: r.__setitem__("isa", "AVX2 `x`"), "field 'isa' is malformed"),
    (lambda r: r.__setitem__("isa", "AVX2 <b>"), "field 'isa' is malformed"),
])
def test_a_record_that_does_not_say_what_ran_is_refused(rooms: Path, change, message) -> None:
    edit(rooms, "torch_npu", NPU, change)
    with pytest.raises(SnippetError, match=f"RMSprop-torch_npu.json: {message}"):
        both(rooms, NPU)


def test_the_instruction_set_is_code_not_markup(rooms: Path) -> None:
    page = native_markdown(ITEMS[NPU], both(rooms, NPU), "zh", None, None)
    assert f"指令集 `{ISA}`" in page  # inline code: its underscores stay underscores
    shutil.rmtree(rooms / "torch_npu")
    with pytest.raises(SnippetError, match="train_torch_npu.py: no record"):
        both(rooms, NPU)


def test_install_comments_are_in_the_page_language() -> None:
    from optbridge.sphinxext.native import install_command

    assert install_command("oneflow", None, "zh") == \
        "pip install oneflow  # 从 OneFlow 自己的软件源安装；PyPI 上只有占位包"
    assert install_command("oneflow", None, "en").endswith("PyPI holds a placeholder")
    assert install_command("torch_npu", {"packages": {"torch": "2.13.0+cpu"}}, "zh") == \
        "pip install torch==2.13.0 torch-npu==2.13.0  # 需要昇腾 CANN 工具包"
