"""`--device cpu|cuda|npu|auto` for example scripts.

Examples run under sphinx-gallery, which passes its own argv, so unknown arguments are ignored.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import torch

from optbridge.devices.selection import ENV_VARIABLE, select_device

DEVICE_HELP = (
    "device to run on: auto, cpu, cuda or npu (optionally with an index, e.g. npu:0); "
    f"defaults to ${ENV_VARIABLE}, else auto. 'npu' without Ascend hardware runs on "
    "optbridge's simulated NPU"
)


def add_device_argument(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add `--device` to an argparse parser (default: None, meaning $OPTBRIDGE_DEVICE or auto)."""
    parser.add_argument("--device", default=None, metavar="DEVICE", help=DEVICE_HELP)
    return parser


def device_from_argv(argv: Sequence[str] | None = None, default: str = "auto") -> torch.device:
    """The device named by `--device` in `argv` (default: sys.argv[1:]), else by
    $OPTBRIDGE_DEVICE, else `default` (an example about the NPU passes "npu"). Other arguments
    are ignored. "npu" installs the simulated NPU when no real torch_npu is present."""
    parser = add_device_argument(argparse.ArgumentParser(add_help=False))
    known, _ = parser.parse_known_args(argv)
    if known.device:
        return select_device(known.device, environment=False)
    return select_device(os.environ.get(ENV_VARIABLE, "").strip() or default)
