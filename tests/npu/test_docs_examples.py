"""The Python code blocks of the two guide pages run as printed."""

import re
from pathlib import Path

import pytest
import torch

DOCS = Path(__file__).resolve().parents[2] / "docs" / "guide"
PAGES = ["simulated-npu.md", "device-selection.md"]


def _python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    text = re.sub(
        r"^: ", "  ", text, flags=re.MULTILINE
    )  # a definition's first line is a block too
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", text, flags=re.DOTALL | re.MULTILINE)
    return [re.sub(rf"^{indent}", "", body, flags=re.MULTILINE) for indent, body in blocks]


@pytest.mark.parametrize("page", PAGES)
def test_pages_have_python_examples(page):
    assert _python_blocks(page)


@pytest.mark.parametrize(
    ("page", "index"),
    [(page, i) for page in PAGES for i in range(len(_python_blocks(page)))],
)
def test_python_block_runs(page, index, monkeypatch, capsys):
    monkeypatch.delenv("OPTBRIDGE_DEVICE", raising=False)
    monkeypatch.setattr("sys.argv", ["example"])
    code = _python_blocks(page)[index]
    if "mlp_step_times()" in code:  # the full benchmark is `make bench`'s job; keep CI fast
        code = code.replace("mlp_step_times()", "mlp_step_times(steps=2, repeats=1, warmup=1)")
    namespace: dict = {}
    exec(compile(code, f"{page}[{index}]", "exec"), namespace)  # noqa: S102  (our own docs)
    for value in namespace.values():
        if isinstance(value, torch.device):
            assert value.type in ("cpu", "cuda", "npu")
