"""Pinned host memory when the simulated NPU is the accelerator.

Once installed, torch treats the npu as the current accelerator, so `cpu_tensor.pin_memory()`
and `DataLoader(pin_memory=True)` ask PrivateUse1 for a pinned-memory allocator, which a Python
backend cannot provide. The simulated device reads host memory directly, so there is nothing to
pin: these CPU kernels return an ordinary copy and report nothing as pinned. They are registered
only without CUDA, where the npu is the accelerator those calls would use.
"""

from __future__ import annotations

import torch

_library: torch.library.Library | None = None


def _pin_memory(self: torch.Tensor, device=None) -> torch.Tensor:
    _check_target(device)
    return self.clone()


def _is_pinned(self: torch.Tensor, device=None) -> bool:
    _check_target(device)
    return False


def _check_target(device) -> None:
    if device is not None and torch.device(device).type != "npu":
        raise RuntimeError(
            f"cannot pin host memory for {device}: with the simulated NPU installed and no CUDA, "
            "the npu is the only accelerator"
        )


def register() -> None:
    global _library
    if _library is not None or torch.cuda.is_available():
        return
    _library = torch.library.Library("aten", "IMPL", "CPU")
    _library.impl("_pin_memory", _pin_memory)
    _library.impl("is_pinned", _is_pinned)
