"""`--device cpu|cuda|npu|auto` for example scripts, with argparse semantics.

A usage error (an unknown device, a device this machine lacks, an unknown option, a bad
`$OPTBRIDGE_DEVICE`) prints the usage line and the error and exits with status 2; `--help`
prints the help and exits 0 before the example runs. (sphinx-gallery runs each example with an
empty argument list, so the site build passes nothing here.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import torch

from optbridge import environment
from optbridge.devices.selection import (
    ENV_VARIABLE,
    DeviceNotAvailableError,
    parse_preference,
    select_device,
)

DEVICE_HELP = (
    "device to run on: auto, cpu, cuda or npu (optionally with an index, e.g. npu:0); "
    f"defaults to ${ENV_VARIABLE}, else auto. 'npu' without Ascend hardware runs on "
    "optbridge's simulated NPU"
)


def device_preference(text: str) -> str:
    """An argparse type: a device preference ("npu:0"), checked but not yet selected."""
    try:
        parse_preference(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def add_device_argument(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add `--device` to an argparse parser (default: None, meaning $OPTBRIDGE_DEVICE or auto)."""
    parser.add_argument(
        "--device", default=None, metavar="DEVICE", type=device_preference, help=DEVICE_HELP
    )
    return parser


def _script_description() -> str | None:
    """The first paragraph of the running script's docstring, for `--help`."""
    doc = getattr(sys.modules.get("__main__"), "__doc__", None)
    return doc.strip().split("\n\n")[0] if doc else None


def device_from_argv(argv: Sequence[str] | None = None, default: str = "auto") -> torch.device:
    """The device named by `--device` in `argv` (default: sys.argv[1:]), else by
    $OPTBRIDGE_DEVICE, else `default` (an example about the NPU passes "npu").

    Parsed as argparse parses: usage errors exit with status 2 and a usage line naming the
    option or the environment variable; `--help` prints the help and exits 0. "npu" installs
    the simulated NPU when no real torch_npu is present.
    """
    parser = add_device_argument(argparse.ArgumentParser(description=_script_description()))
    args = parser.parse_args(argv)
    if args.device:
        where, preference = "argument --device", args.device
    elif environment.text(ENV_VARIABLE):
        preference = environment.text(ENV_VARIABLE)
        where = f"environment variable {ENV_VARIABLE}={preference!r}"
    else:
        where, preference = "default device", default
    try:
        return select_device(preference, environment=False)
    except (ValueError, DeviceNotAvailableError) as error:
        parser.error(f"{where}: {error}")
