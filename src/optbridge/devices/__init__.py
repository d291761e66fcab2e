"""Device selection: CUDA, a real or simulated Ascend NPU, or CPU (see `select_device`)."""

from optbridge.devices.command_line import add_device_argument, device_from_argv
from optbridge.devices.selection import (
    CHOICES,
    ENV_VARIABLE,
    DeviceNotAvailableError,
    found_devices,
    parse_preference,
    select_device,
)

__all__ = [
    "CHOICES",
    "ENV_VARIABLE",
    "DeviceNotAvailableError",
    "add_device_argument",
    "device_from_argv",
    "found_devices",
    "parse_preference",
    "select_device",
]
