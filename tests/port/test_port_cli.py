"""``python -m optbridge.port``: calls and files in, target code, caveats, gap and exit code out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optbridge.mappings import load_all
from optbridge.port.calls import InputError, parse_call, scan
from optbridge.port.cli import EXIT_CODES, main, port_construction
from optbridge.port.frameworks import flavour, literal
from optbridge.port.page import example, snippet, verdict

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
TABLES = load_all(ROOT / "docs" / "mappings")


def run_json(capsys, *argv: str) -> tuple[int, list[dict]]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_the_issue_example_ports_approximately(capsys) -> None:
    code, [out] = run_json(
        capsys, "torch.optim.RMSprop(model.parameters(), lr=1e-3, momentum=0.9, eps=1e-8)",
        "--to", "mindspore")
    assert code == EXIT_CODES["approximate"] == 1
    assert out["status"] == "approximate" and out["target_api"] == "mindspore.nn.RMSProp"
    assert "model.trainable_params()," in out["code"]
    assert "learning_rate=0.001," in out["code"] and "epsilon=1e-16,  # float(eps) ** 2" in out["code"]
    assert "buffer.set_data(mindspore.ops.full_like(buffer, 0.0))" in out["code"]
    assert any("eps placement cannot be matched" in c for c in out["caveats"])
    assert out["gap"]["near_eps"] == pytest.approx(0.414, abs=0.01)
    assert out["gap"]["weights"] < 1e-6


def test_exact_port_keeps_the_users_names(capsys) -> None:
    code, [out] = run_json(capsys, "torch.optim.RMSprop(net.parameters(), lr=0.1, momentum=0.5)",
                           "--to", "torch_npu")
    assert code == 0 and out["status"] == "exact"
    assert "torch_npu.optim.NpuFusedRMSprop(\n    net.parameters(),\n    lr=0.1," in out["code"]


def test_impossible_ports(capsys) -> None:
    code, [out] = run_json(capsys, "torch.optim.RMSprop(m.parameters(), momentum=0.9)",
                           "--to", "oneflow")
    assert code == EXIT_CODES["impossible"] == 3
    assert any("momentum == 0" in p for p in out["problems"])
    code, [out] = run_json(capsys, "torch.optim.RMSprop(m.parameters(), eps=0.0)",
                           "--to", "mindspore")
    assert code == 3 and "rejects these arguments" in out["problems"][0]
    code, [out] = run_json(capsys, "torch.optim.Rprop(m.parameters(), maximize=True)",
                           "--to", "paddle")
    assert code == 3 and "negate the loss" in out["problems"][0]


def test_text_output_names_the_location_and_verdict(capsys) -> None:
    assert main(["torch.optim.Rprop(m.parameters(), lr=60.0)", "--to", "paddle"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<call>:1: torch.optim.Rprop -> paddle.optimizer.Rprop: exact")
    assert "learning_rate=50.0," in out and "Paddle refuses a learning rate outside" in out


def test_seed_pytorch_script_with_steplr(capsys) -> None:
    path = FIXTURES / "train_torch_steplr.py"
    code, [out] = run_json(capsys, str(path), "--to", "mindspore")
    assert code == 1
    assert out["where"] == f"{path}:9"
    assert out["code"].startswith("import mindspore\n\nopt = mindspore.nn.RMSProp(")
    assert "learning_rate=0.001," in out["code"] and "weight_decay=0.0001," in out["code"]
    assert any("learning-rate scheduler with momentum" in c for c in out["caveats"])
    assert any("`beta` or `gamma`" in c for c in out["caveats"])


def test_seed_keras_script_with_legacy_decay(capsys) -> None:
    code, [out] = run_json(capsys, str(FIXTURES / "train_keras_decay.py"), "--to", "mindspore")
    assert code == 0, out
    assert "decay=0.9," in out["code"]  # rho, not the legacy decay
    assert "1e-06" not in out["code"]
    assert any("Keras 2's learning-rate decay" in c and "InverseDecayLR" in c
               for c in out["caveats"])
    assert not any("scheduler" in c for c in out["caveats"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([str(FIXTURES / "broken_syntax.py.txt")], "broken_syntax.py.txt:3:"),
        ([str(FIXTURES / "unknown_optimizer.py")], "unknown optimizer API mylib.optimizers.RMSprop"),
        (["torch.optim.Adam(m.parameters())"], "torch.optim.Adam is not an RMSprop or Rprop"),
        (["torch.optim.RMSprop(m.parameters(), lr=1e-3"], "syntax error"),
        (["missing_file.py"], "missing_file.py: cannot read"),
        (["torch.optim.RMSprop(m.parameters(), betas=1)"], "has no argument 'betas'"),
    ],
)
def test_bad_input_is_one_clear_line(capsys, argv: list[str], message: str) -> None:
    assert main([*argv, "--to", "mindspore"]) == EXIT_CODES["error"] == 4
    captured = capsys.readouterr()
    text = captured.err + captured.out
    assert message in text
    assert "Traceback" not in text


def test_non_literal_argument(capsys) -> None:
    code, [out] = run_json(capsys, str(FIXTURES / "non_literal.py"), "--to", "mindspore")
    assert code == 4 and out["problems"] == [
        "argument lr=args.lr is not a literal; write the value to port it"]


def test_no_table_for_the_pair(capsys) -> None:
    code, [out] = run_json(capsys, "torch.optim.Rprop(m.parameters())", "--to", "keras")
    assert code == 4 and "no table ports torch.optim.Rprop to keras" in out["problems"][0]


def test_help_documents_the_exit_codes() -> None:
    done = subprocess.run([sys.executable, "-m", "optbridge.port", "--help"], check=False,
                          capture_output=True, text=True)
    assert done.returncode == 0
    for line in ("0  every construction ports exactly", "1  at least one ports approximately",
                 "3  at least one cannot be ported", "4  bad input"):
        assert line in done.stdout


def test_compat_imports_stand_for_their_framework() -> None:
    found = scan("from optbridge.compat import mindspore as nn\nimport oneflow as flow\n"
                 "import tensorflow as tf\n"
                 "a = nn.RMSProp(p)\nb = flow.optim.RMSprop(p)\n"
                 "c = tf.keras.optimizers.RMSprop()\n", "x.py")
    assert [c.api for c in found.constructions] == [
        "mindspore.nn.RMSProp", "oneflow.optim.RMSprop", "tf.keras.optimizers.RMSprop"]
    assert [c.target for c in found.constructions] == ["a", "b", "c"]
    with pytest.raises(InputError, match="expected an optimizer constructor call"):
        parse_call("1 + 2")


GALLERY = sorted((ROOT / "examples").glob("plot_*_*_*.py"))
GALLERY = [p for p in GALLERY if "tutorial" not in p.name]


@pytest.mark.parametrize("path", GALLERY, ids=lambda p: p.name)
def test_gallery_constructions_port(path: Path) -> None:
    """Every construction of a gallery script whose arguments are written out (or come from a
    loop over literals) ports to the page's target; the ones built from a function's
    ``**options`` are named, not guessed."""
    table = next(t for t in TABLES if any(e.script == path.stem for e in t.mapping.examples))
    to = flavour(table.mapping.port.api)
    inputs = scan(path.read_text(encoding="utf-8"), str(path))
    ported = 0
    for found in inputs.constructions:
        outcome = port_construction(found, str(path), to, TABLES, inputs.scheduler)
        if outcome.status == "error":
            assert all("is not a literal" in p or "itself rejects" in p
                       for p in outcome.problems), outcome
        elif found.api == table.mapping.source.api:
            assert outcome.code, outcome
            # A value the target rejects (MindSpore's epsilon=0.0) is named; else the gap is.
            assert outcome.gap is not None or "rejects these arguments" in outcome.problems[-1]
            ported += 1
    assert ported >= 1


@pytest.mark.parametrize("item", TABLES, ids=lambda i: i.slug)
def test_cli_and_page_cannot_disagree(item) -> None:
    """The page's recipe and verdict and the command line's, for the page's own call."""
    mapping = item.mapping
    arguments = ", ".join(f"{k}={literal(v)}" for k, v in mapping.port.example.items())
    style = flavour(mapping.source.api)
    params = "" if style in ("keras", "tf1", "optax") else "w"
    written = {"": "", "w": "parameters=w" if style == "paddle" else "w"}[params]
    call = f"{mapping.source.api}({', '.join(x for x in (written, arguments) if x)})"
    [found] = parse_call(call).constructions
    outcome = port_construction(found, "<call>", flavour(mapping.port.api), TABLES, False)
    page = example(mapping)
    assert outcome.code == snippet(page, params or None)
    assert outcome.status == verdict(page, mapping.port.gap.weights, mapping.port.gap.near_eps)
    assert outcome.gap["weights"] == pytest.approx(mapping.port.gap.weights, rel=0.05, abs=1e-7)


def test_alternatives_carry_the_users_values(capsys) -> None:
    code, [out] = run_json(capsys, "torch.optim.RMSprop(net.parameters(), lr=0.5, alpha=0.9)",
                           "--to", "mindspore")
    assert code == 1
    [alternative] = out["alternatives"]
    assert "mindspore.experimental.optim.RMSprop(" in alternative
    assert "net.trainable_params()," in alternative and "lr=0.5," in alternative
    assert "alpha=0.9," in alternative


def test_a_source_without_parameter_list_is_said(capsys) -> None:
    code, [out] = run_json(capsys, "tf.keras.optimizers.RMSprop(learning_rate=0.01)",
                           "--to", "mindspore")
    assert code == 0 and "net.trainable_params()," in out["code"]
    assert any("`net` stands for your model in mindspore" in c for c in out["caveats"])
