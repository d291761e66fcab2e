"""Choosing the device an example or test runs on.

Order for "auto": CUDA when available, else a real Ascend NPU (torch_npu installed with a device),
else the simulated NPU when it was asked for (`simulated_npu=True`), else CPU. The answer never
depends on what ran earlier in the process. Asking for a device that is not there is an error
naming what was found, never a silent fallback.
"""

from __future__ import annotations

import torch

# select_device's `environment` argument would shadow the module's name
from optbridge.environment import text as variable_text

ENV_VARIABLE = "OPTBRIDGE_DEVICE"
CHOICES = ("auto", "cpu", "cuda", "npu")


class DeviceNotAvailableError(RuntimeError):
    """The requested device does not exist on this machine."""


def _real_npu_count() -> int:
    """Devices of the real torch_npu, 0 when it is not installed (or is the simulation)."""
    from optbridge.npu import real_torch_npu_available

    if not real_torch_npu_available():
        return 0
    try:
        import torch_npu  # noqa: F401  (registers torch.npu)

        return torch.npu.device_count() if torch.npu.is_available() else 0
    except (ImportError, RuntimeError, OSError, AttributeError):  # broken install: no device
        return 0


def _simulated_npu_installed() -> bool:
    from optbridge.npu import is_installed

    return is_installed()


def found_devices() -> str:
    """What this machine offers, for error messages: "cpu, cuda (1 device), ..."."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found.append(f"cuda ({torch.cuda.device_count()} device(s))")
    real = _real_npu_count()
    if real:
        found.append(f"npu ({real} real Ascend device(s))")
    elif _simulated_npu_installed():
        found.append("npu (simulated, 1 device)")
    else:
        found.append("npu (simulated, available with optbridge.npu.install())")
    return ", ".join(found)


def parse_preference(preference: str | torch.device) -> tuple[str, int | None]:
    """Split "npu:0" into ("npu", 0), checking the device type is one of CHOICES."""
    if isinstance(preference, torch.device):
        kind, index = preference.type, preference.index
    elif isinstance(preference, str):
        text = preference.strip().lower()
        kind, _, index_text = text.partition(":")
        if index_text.startswith("-") and index_text[1:].isascii() and index_text[1:].isdigit():
            raise ValueError(f"device {preference!r}: the index after ':' is negative; device "
                             "indices count from 0")
        if index_text and not (index_text.isascii() and index_text.isdigit()):
            raise ValueError(f"device {preference!r}: the index after ':' must be an integer")
        index = int(index_text) if index_text else None
    else:
        raise TypeError(
            f"device preference must be a str or torch.device, got {type(preference).__name__}"
        )
    if kind not in CHOICES:
        raise ValueError(
            f"unknown device {preference!r}; expected one of {', '.join(CHOICES)} "
            "(optionally with an index, e.g. 'npu:0')"
        )
    if kind == "auto" and index is not None:
        raise ValueError(f"device {preference!r}: 'auto' takes no index")
    return kind, index


def _checked_index(kind: str, index: int | None, count: int) -> torch.device:
    if index is not None and index >= count:
        raise DeviceNotAvailableError(
            f"asked for {kind}:{index}, but only {count} {kind} device(s) exist; found: "
            f"{found_devices()}"
        )
    return torch.device(kind, index if index is not None else 0)


def _cuda(index: int | None) -> torch.device:
    if not torch.cuda.is_available():
        raise DeviceNotAvailableError(
            f"asked for cuda, but CUDA is not available; found: {found_devices()}"
        )
    return _checked_index("cuda", index, torch.cuda.device_count())


def _npu(index: int | None) -> torch.device:
    real = _real_npu_count()
    if real:
        return _checked_index("npu", index, real)
    from optbridge.npu import real_torch_npu_available

    if real_torch_npu_available():
        raise DeviceNotAvailableError(
            f"asked for npu: torch_npu is installed but reports no device; found: {found_devices()}"
        )
    from optbridge.npu import install

    install()
    return _checked_index("npu", index, 1)


def select_device(
    preference: str | torch.device = "auto",
    *,
    simulated_npu: bool = False,
    environment: bool = True,
) -> torch.device:
    """The torch.device to run on.

    `preference` is "auto", "cpu", "cuda" or "npu", optionally with an index ("npu:0"). When it
    is "auto", the environment variable OPTBRIDGE_DEVICE (same values) overrides it, unless
    `environment=False`. An explicit
    "npu" uses the real torch_npu when installed, otherwise installs the simulated NPU; "auto"
    uses the simulation only when `simulated_npu=True`.

    Raises DeviceNotAvailableError (naming what was found) for a device that is not there, and
    ValueError for a preference that is not a device.
    """
    kind, index = parse_preference(preference)
    if kind == "auto" and environment:
        from_env = variable_text(ENV_VARIABLE)
        if from_env:
            where = f"environment variable {ENV_VARIABLE}={from_env!r}"
            try:
                kind, index = parse_preference(from_env)
                return _select(kind, index, simulated_npu)
            except ValueError as error:
                raise ValueError(f"{where}: {error}") from None
            except DeviceNotAvailableError as error:
                raise DeviceNotAvailableError(f"{where}: {error}") from None
    return _select(kind, index, simulated_npu)


def _select(kind: str, index: int | None, simulated_npu: bool) -> torch.device:
    if kind == "cpu":
        if index not in (None, 0):
            raise DeviceNotAvailableError(f"asked for cpu:{index}; there is only cpu")
        return torch.device("cpu")
    if kind == "cuda":
        return _cuda(index)
    if kind == "npu":
        return _npu(index)
    if torch.cuda.is_available():
        return torch.device("cuda", 0)
    if _real_npu_count():
        return torch.device("npu", 0)
    if simulated_npu:
        return _npu(None)
    return torch.device("cpu")
