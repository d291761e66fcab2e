"""Item 9: `$OPTBRIDGE_DEVICE` errors name the variable; examples parse their command line as
argparse does (usage errors exit 2 with a usage line, `--help` prints help without running)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from optbridge.devices import DeviceNotAvailableError, device_from_argv, select_device

from .conftest import REPO_ROOT, child_env, run_python

EXAMPLES = sorted((REPO_ROOT / "examples").glob("plot_*.py"))
EXAMPLE = REPO_ROOT / "examples" / "plot_pytorch_rprop_paddle.py"
needs_no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
UNKNOWN = "unknown device 'bogus'; expected one of auto, cpu, cuda, npu (optionally with an index"


def test_environment_variable_is_named_for_a_bad_value(monkeypatch):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "bogus")
    with pytest.raises(ValueError) as raised:
        select_device()
    assert str(raised.value).startswith(f"environment variable OPTBRIDGE_DEVICE='bogus': {UNKNOWN}")


@needs_no_cuda
def test_environment_variable_is_named_for_a_missing_device(monkeypatch):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "cuda")
    with pytest.raises(DeviceNotAvailableError) as raised:
        select_device()
    assert str(raised.value).startswith(
        "environment variable OPTBRIDGE_DEVICE='cuda': asked for cuda, but CUDA is not available")


@pytest.mark.parametrize(
    ("argv", "environment", "error"),
    [
        (["--device", "bogus"], None, f"error: argument --device: {UNKNOWN}"),
        (["--device", "npu:x"], None,
         "error: argument --device: device 'npu:x': the index after ':' must be an integer"),
        (["--device", "cpu:1"], None, "error: argument --device: asked for cpu:1; there is only cpu"),
        (["--devices", "cpu"], None, "error: unrecognized arguments: --devices cpu"),
        (["--device"], None, "error: argument --device: expected one argument"),
        ([], "bogus", f"error: environment variable OPTBRIDGE_DEVICE='bogus': {UNKNOWN}"),
        pytest.param(["--device", "cuda"], None,
                     "error: argument --device: asked for cuda, but CUDA is not available",
                     marks=needs_no_cuda),
        pytest.param([], "cuda", "error: environment variable OPTBRIDGE_DEVICE='cuda': asked for "
                     "cuda, but CUDA is not available", marks=needs_no_cuda),
    ],
)
def test_usage_errors_exit_2_with_a_usage_line(argv, environment, error, monkeypatch, capsys):
    monkeypatch.delenv("OPTBRIDGE_DEVICE", raising=False)
    if environment:
        monkeypatch.setenv("OPTBRIDGE_DEVICE", environment)
    with pytest.raises(SystemExit) as exited:
        device_from_argv(argv)
    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith("usage: ") and lines[0].endswith(" [-h] [--device DEVICE]")
    assert len(lines) == 2 and error in lines[1], lines


def test_an_explicit_device_wins_over_a_bad_environment(monkeypatch):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "bogus")
    assert device_from_argv(["--device", "cpu"]) == torch.device("cpu")


@pytest.mark.parametrize(
    ("args", "environment", "error"),
    [
        (["--device", "bogus"], {}, f"error: argument --device: {UNKNOWN}"),
        (["--devices", "cpu"], {}, "error: unrecognized arguments: --devices cpu"),
        ([], {"OPTBRIDGE_DEVICE": "bogus"},
         f"error: environment variable OPTBRIDGE_DEVICE='bogus': {UNKNOWN}"),
    ],
)
def test_an_example_refuses_a_bad_command_line(args, environment, error):
    result = run_python([str(EXAMPLE), *args], env=child_env(**environment))
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stdout == ""  # nothing ran
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "usage: plot_pytorch_rprop_paddle.py [-h] [--device DEVICE]",
        f"plot_pytorch_rprop_paddle.py: {error}" + lines[1].split(error, 1)[1],
    ], lines


HELP_OF_EVERY_EXAMPLE = """
import contextlib, io, json, runpy, sys
results = {}
for script in sys.argv[1:]:
    sys.argv = [script, "--help"]
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(script, run_name="__main__")
        code = "ran"
    except SystemExit as exit:
        code = exit.code
    results[script] = [code, out.getvalue()]
print(json.dumps(results))
"""


def test_every_example_prints_help_without_running():
    # One interpreter runs them all (each would pay torch's import again in its own).
    result = run_python(["-c", HELP_OF_EVERY_EXAMPLE, *map(str, EXAMPLES)], timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    results = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(results) == len(EXAMPLES) >= 14
    for script, (code, stdout) in results.items():
        name = Path(script).name
        assert code == 0, (name, code)
        usage = " ".join(stdout.split("\n\n")[0].split())
        assert usage == f"usage: {name} [-h] [--device DEVICE]", (name, usage)
        # argparse's help ends with the options; an example that ran would print after them.
        assert stdout.rstrip().endswith("simulated NPU"), (name, stdout)
