"""Issue 21, environment: every ``OPTBRIDGE_*`` variable takes the usual spellings or is refused
in one line naming it and its value; an unusable ``OPTBRIDGE_CACHE_DIR`` is said once."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
import torch

from optbridge import environment
from optbridge.devices import device_from_argv, select_device
from optbridge.environment import EnvironmentVariableError

from .conftest import child_env, run_python

VARIABLE = "OPTBRIDGE_TEST_FLAG"
EXPECTED = "expected a true/false value (1, true, yes, on or 0, false, no, off; any case)"


@pytest.mark.parametrize("value", ["1", "true", "True", "YES", "yes", "on", " On "])
def test_true_spellings(monkeypatch, value):
    monkeypatch.setenv(VARIABLE, value)
    assert environment.flag(VARIABLE) is True


@pytest.mark.parametrize("value", ["0", "false", "FALSE", "no", "No", "off", "", "  "])
def test_false_spellings_and_empty(monkeypatch, value):
    monkeypatch.setenv(VARIABLE, value)
    assert environment.flag(VARIABLE) is False


def test_unset_is_false(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    assert environment.flag(VARIABLE) is False


@pytest.mark.parametrize("value", ["2", "maybe", "y", "t", "enable", "1.0", "-1", "oui"])
def test_other_spellings_are_refused_naming_variable_and_value(monkeypatch, value):
    monkeypatch.setenv(VARIABLE, value)
    with pytest.raises(EnvironmentVariableError) as raised:
        environment.flag(VARIABLE)
    assert str(raised.value) == f"{VARIABLE}={value!r}: {EXPECTED}"


FLAGS_IN_A_CHILD = """
import os, torch
from optbridge.environment import EnvironmentVariableError
from optbridge.optim import FusedRMSprop

def step():
    p = torch.nn.Parameter(torch.ones(3)); o = FusedRMSprop([p])
    p.grad = torch.ones(3); o.step()

# each is read once, at the first step that needs it: a refused value is read again next step
for settings in ({"OPTBRIDGE_EXACT_SQRT": "maybe"},
                 {"OPTBRIDGE_EXACT_SQRT": "yes", "OPTBRIDGE_DISABLE_CPU_KERNEL": "2"},
                 {"OPTBRIDGE_DISABLE_CPU_KERNEL": "TRUE"}):
    os.environ.update(settings)
    try:
        step()
        print("STEPPED", settings)
    except EnvironmentVariableError as error:
        print("REFUSED", error)
from optbridge.engine.kernels import available_kernels, cpu
print("EXACT", cpu._exact_sqrt, "CPU KERNEL", available_kernels()["cpu"], cpu.load_error())
"""


def test_exact_sqrt_and_disable_take_the_usual_spellings():
    # cpu.py reads both once per process: a child sees them as a user's process does
    result = run_python(FLAGS_IN_A_CHILD, env=child_env(OPTBRIDGE_DISABLE_CPU_KERNEL=""))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == [
        f"REFUSED OPTBRIDGE_EXACT_SQRT='maybe': {EXPECTED}",
        f"REFUSED OPTBRIDGE_DISABLE_CPU_KERNEL='2': {EXPECTED}",
        "STEPPED {'OPTBRIDGE_DISABLE_CPU_KERNEL': 'TRUE'}",
        "EXACT True CPU KERNEL False disabled by OPTBRIDGE_DISABLE_CPU_KERNEL",
    ]


# --- OPTBRIDGE_CACHE_DIR -------------------------------------------------------------------------

CACHE = "OPTBRIDGE_TEST_CACHE"
CONSEQUENCE = "the caller falls back"


def _unwritable(tmp_path: Path) -> Path:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    if not os.access(folder, os.W_OK):
        return folder
    if Path("/proc/sys").is_dir() and not os.access("/proc/sys", os.W_OK):
        return Path("/proc/sys")  # root writes anywhere else; /proc/sys refuses even root
    pytest.skip("no folder here that this user cannot write to")


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda tmp: tmp / "file", "not a directory"),
        (lambda tmp: tmp / "file" / "sub", "{tmp}/file is not a directory"),
        (_unwritable, "not writable"),
        (lambda tmp: _unwritable(tmp) / "sub" / "sub", "{unwritable} is not writable"),
    ],
    ids=["a-file", "inside-a-file", "read-only", "under-a-read-only-folder"],
)
def test_an_unusable_directory_is_said_once(monkeypatch, tmp_path, make, problem):
    (tmp_path / "file").write_text("")
    path = make(tmp_path)
    monkeypatch.setenv(CACHE, str(path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # so that only the helper's own "once" can hold one back
        found = [environment.directory(CACHE, CONSEQUENCE) for _ in range(2)]
    assert found == [path, path]
    assert len(caught) == 1 and caught[0].category is RuntimeWarning
    reason = problem.format(tmp=tmp_path, unwritable=path.parent.parent)
    assert str(caught[0].message) == f"{CACHE}={str(path)!r}: {reason}; {CONSEQUENCE}"


@pytest.mark.parametrize("value", ["", "   ", None])
def test_unset_or_empty_directory_is_none(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(CACHE, raising=False)
    else:
        monkeypatch.setenv(CACHE, value)
    assert environment.directory(CACHE, CONSEQUENCE) is None


def test_a_directory_to_be_created_is_fine(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE, str(tmp_path / "new" / "cache"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert environment.directory(CACHE, CONSEQUENCE) == tmp_path / "new" / "cache"


BAD_CACHE_IN_A_CHILD = """
import torch
from optbridge.optim import FusedRMSprop
p = torch.nn.Parameter(torch.ones(3)); q = torch.nn.Parameter(torch.ones(3))
o, r = FusedRMSprop([p], lr=0.1), torch.optim.RMSprop([q], lr=0.1)
for _ in range(3):
    p.grad = torch.ones(3); q.grad = torch.ones(3); o.step(); r.step()
from optbridge.engine.kernels import available_kernels
print("SAME AS TORCH", torch.equal(p, q), "CPU KERNEL", available_kernels()["cpu"])
"""


def test_a_bad_cache_dir_falls_back_and_says_so_once(tmp_path):
    (tmp_path / "file").write_text("")
    result = run_python(BAD_CACHE_IN_A_CHILD, env=child_env(
        OPTBRIDGE_CACHE_DIR=str(tmp_path / "file"), OPTBRIDGE_DISABLE_CPU_KERNEL=""))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "SAME AS TORCH True CPU KERNEL False"
    warning = (f"RuntimeWarning: OPTBRIDGE_CACHE_DIR={str(tmp_path / 'file')!r}: not a directory; "
               "the CPU kernel cannot be built or cached there, so the optimizers use their "
               "slower torch-ops path")
    assert result.stderr.count(warning) == 1, result.stderr


# --- OPTBRIDGE_DEVICE --------------------------------------------------------------------------

NEGATIVE = "device 'npu:-1': the index after ':' is negative; device indices count from 0"


def test_a_negative_device_index_is_named_as_such(monkeypatch):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "npu:-1")
    with pytest.raises(ValueError) as raised:
        select_device()
    assert str(raised.value) == f"environment variable OPTBRIDGE_DEVICE='npu:-1': {NEGATIVE}"


def test_a_negative_device_index_on_the_command_line(monkeypatch, capsys):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "npu:-1")
    with pytest.raises(SystemExit) as exited:
        device_from_argv([])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith(
        f"error: environment variable OPTBRIDGE_DEVICE='npu:-1': {NEGATIVE}")


@pytest.mark.parametrize("value", ["npu:²", "npu:١", "npu:+1", "npu:1.0"])
def test_a_device_index_is_ascii_digits(value):
    with pytest.raises(ValueError, match="the index after ':' must be an integer"):
        select_device(value)


def test_a_blank_device_variable_is_unset(monkeypatch):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "   ")
    assert select_device() == select_device("auto", environment=False)
    assert isinstance(select_device("cpu"), torch.device)
