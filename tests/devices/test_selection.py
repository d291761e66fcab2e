"""select_device, OPTBRIDGE_DEVICE and --device parsing."""

import pytest
import torch

from optbridge import npu
from optbridge.devices import (
    DeviceNotAvailableError,
    add_device_argument,
    device_from_argv,
    found_devices,
    parse_preference,
    select_device,
)

needs_no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present here")
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
needs_simulation = pytest.mark.skipif(
    npu.real_torch_npu_available(), reason="the real torch_npu is installed"
)


@pytest.fixture(autouse=True)
def no_device_in_environment(monkeypatch):
    monkeypatch.delenv("OPTBRIDGE_DEVICE", raising=False)


@needs_no_cuda
def test_auto_without_accelerators_is_cpu():
    if npu.real_torch_npu_available():
        pytest.skip("a real NPU may be present")
    assert select_device() == torch.device("cpu")
    assert select_device("auto") == torch.device("cpu")


@needs_cuda
def test_auto_prefers_cuda():
    assert select_device().type == "cuda"


def test_explicit_cpu():
    assert select_device("cpu") == torch.device("cpu")
    assert select_device(torch.device("cpu")) == torch.device("cpu")


@needs_no_cuda
def test_missing_cuda_is_an_error_naming_what_was_found():
    with pytest.raises(DeviceNotAvailableError, match="CUDA is not available; found: cpu"):
        select_device("cuda")


@needs_simulation
def test_npu_without_hardware_installs_the_simulation():
    device = select_device("npu")
    assert device == torch.device("npu", 0)
    assert npu.is_installed()
    assert torch.ones(1, device=device).device == device
    assert select_device("npu:0") == device


@needs_simulation
def test_auto_uses_the_simulation_only_when_asked():
    select_device("npu")  # installed now: auto must still not pick it unasked
    if not torch.cuda.is_available():
        assert select_device("auto").type == "cpu"
        assert select_device("auto", simulated_npu=True) == torch.device("npu", 0)


@needs_simulation
def test_second_npu_is_an_error_naming_what_was_found():
    with pytest.raises(DeviceNotAvailableError, match="npu:1, but only 1 npu device"):
        select_device("npu:1")


@pytest.mark.parametrize("bad", ["gpu", "npu:x", "auto:0", ""])
def test_unknown_preference_is_a_value_error_naming_it(bad):
    with pytest.raises(ValueError, match="device"):
        select_device(bad)


def test_preference_must_be_text_or_device():
    with pytest.raises(TypeError, match="got int"):
        select_device(0)


def test_parse_preference():
    assert parse_preference("NPU:0") == ("npu", 0)
    assert parse_preference("cuda") == ("cuda", None)


def test_environment_overrides_auto(monkeypatch):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "cpu")
    assert select_device() == torch.device("cpu")
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "tpu")
    with pytest.raises(ValueError, match="OPTBRIDGE_DEVICE"):
        select_device()
    assert select_device("auto", environment=False).type in ("cpu", "cuda", "npu")


@needs_simulation
def test_environment_npu_selects_the_simulation(monkeypatch):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "npu")
    assert select_device() == torch.device("npu", 0)
    assert device_from_argv([]) == torch.device("npu", 0)


@needs_no_cuda
def test_environment_asking_for_missing_cuda_fails(monkeypatch):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "cuda")
    with pytest.raises(DeviceNotAvailableError, match="cuda"):
        select_device()


@needs_simulation
def test_device_from_argv_default_applies_only_when_nothing_is_asked(monkeypatch):
    monkeypatch.delenv("OPTBRIDGE_DEVICE", raising=False)
    assert device_from_argv([], default="npu") == torch.device("npu", 0)
    assert device_from_argv(["--device", "cpu"], default="npu") == torch.device("cpu")
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "cpu")
    assert device_from_argv([], default="npu") == torch.device("cpu")


def test_device_from_argv_refuses_other_arguments(capsys):
    assert device_from_argv(["--device=cpu"]) == torch.device("cpu")
    with pytest.raises(SystemExit) as exited:
        device_from_argv(["--device", "cpu", "--foo=1"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().endswith("error: unrecognized arguments: --foo=1")


@needs_simulation
def test_device_from_argv_npu_installs_the_simulation():
    assert device_from_argv(["--device", "npu"]) == torch.device("npu", 0)


def test_device_from_argv_falls_back_to_the_environment(monkeypatch):
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "cpu")
    assert device_from_argv([]) == torch.device("cpu")
    monkeypatch.setenv("OPTBRIDGE_DEVICE", "nonsense")
    assert device_from_argv(["--device", "cpu"]) == torch.device("cpu")  # argv wins


@needs_no_cuda
def test_device_from_argv_error_is_clear(capsys):
    with pytest.raises(SystemExit) as exited:
        device_from_argv(["--device", "cuda"])
    assert exited.value.code == 2
    assert "error: argument --device: asked for cuda, but CUDA is not available; found: cpu" in (
        capsys.readouterr().err)


def test_add_device_argument_to_a_parser():
    import argparse

    parser = add_device_argument(argparse.ArgumentParser())
    assert parser.parse_args(["--device", "npu"]).device == "npu"
    assert parser.parse_args([]).device is None


def test_found_devices_lists_cpu():
    assert found_devices().startswith("cpu")
