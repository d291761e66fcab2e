"""`torch_npu.npu_format_cast` and `get_npu_format`: the storage format as a tag only.

On Ascend hardware a tensor's storage format (ND, NCHW, FRACTAL_NZ, ...) decides its memory
layout for the cube units. The simulated NPU keeps every tensor as a plain CPU tensor, so a cast
changes no data: it records the format, which `get_npu_format` reports, and checks what the
real function checks (an npu tensor, a known format code).
"""

from __future__ import annotations

import torch

#: ACL storage formats torch_npu accepts, by code (torch_npu's `Format` enum).
ACL_FORMATS = {
    0: "NCHW", 1: "NHWC", 2: "ND", 3: "NC1HWC0", 4: "FRACTAL_Z", 12: "NC1HWC0_C04", 16: "HWCN",
    27: "NDHWC", 29: "FRACTAL_NZ", 30: "NCDHW", 32: "NDC1HWC0", 33: "FRACTAL_Z_3D",
}
ND = 2  # what a tensor has until it is cast


def _checked(name: str, tensor: object, acl_format: object | None = None) -> None:
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(tensor).__name__}")
    if tensor.device.type != "npu":
        raise RuntimeError(f"{name}: expected an npu tensor, got a tensor on {tensor.device}")
    if acl_format is None:
        return
    if isinstance(acl_format, bool) or not isinstance(acl_format, int):
        raise TypeError(f"{name}: acl_format must be an int, got {type(acl_format).__name__}")
    if acl_format not in ACL_FORMATS:
        known = ", ".join(f"{code} ({label})" for code, label in ACL_FORMATS.items())
        raise ValueError(f"{name}: unknown acl_format {acl_format}; known formats: {known}")


def get_npu_format(tensor: torch.Tensor) -> int:
    """The storage format code of an npu tensor (2, ND, unless it was cast)."""
    _checked("get_npu_format", tensor)
    return getattr(tensor, "_npu_format", ND)


def npu_format_cast(tensor: torch.Tensor, acl_format: int) -> torch.Tensor:
    """``tensor`` in storage format ``acl_format``: the tensor itself when it already has that
    format, else a copy (with the same values and gradient) tagged with it."""
    _checked("npu_format_cast", tensor, acl_format)
    if get_npu_format(tensor) == acl_format:
        return tensor
    out = tensor.clone()
    out._npu_format = acl_format
    return out


def npu_format_cast_(tensor: torch.Tensor, acl_format: int) -> torch.Tensor:
    """In place: tag ``tensor`` with ``acl_format`` (its data is unchanged) and return it."""
    _checked("npu_format_cast_", tensor, acl_format)
    tensor._npu_format = acl_format
    return tensor
