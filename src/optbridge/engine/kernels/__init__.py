"""Fused kernels by (rule name, device type); anything without one runs the rule's torch ops."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

KernelFn = Callable[[Tensor, Tensor, dict[str, Tensor], dict[str, Any]], None]


@dataclass(frozen=True)
class Kernel:
    """A fused implementation of one rule on one device type."""

    name: str
    supports: Callable[[dict[str, Any], torch.dtype], bool]
    run: KernelFn
    available: Callable[[], bool]


def _cpu_kernels() -> dict[str, Kernel]:
    from optbridge.engine.kernels import cpu

    def available() -> bool:
        return cpu.load() is not None

    return {
        "rmsprop": Kernel("cpu-rmsprop", cpu.rmsprop_supports, cpu.rmsprop, available),
        "rprop": Kernel("cpu-rprop", cpu.rprop_supports, cpu.rprop, available),
    }


def _cuda_kernels() -> dict[str, Kernel]:
    from optbridge.engine.kernels import cuda_triton

    return {
        "rmsprop": Kernel("triton-rmsprop", cuda_triton.rmsprop_supports, cuda_triton.rmsprop,
                          cuda_triton.available),
        "rprop": Kernel("triton-rprop", cuda_triton.rprop_supports, cuda_triton.rprop,
                        cuda_triton.available),
    }


_REGISTRY: dict[str, dict[str, Kernel]] = {}
_FACTORIES: dict[str, Callable[[], dict[str, Kernel]]] = {"cpu": _cpu_kernels,
                                                         "cuda": _cuda_kernels}


def find_kernel(rule_name: str, device_type: str, dtype: torch.dtype,
                options: dict[str, Any]) -> Kernel | None:
    """The fused kernel for this rule, device, dtype and options, or None."""
    kernels = _REGISTRY.get(device_type)
    if kernels is None:
        factory = _FACTORIES.get(device_type)
        kernels = factory() if factory is not None else {}
        _REGISTRY[device_type] = kernels
    kernel = kernels.get(rule_name)
    if kernel is None or not kernel.supports(options, dtype) or not kernel.available():
        return None
    return kernel


def register_kernel(device_type: str, rule_name: str, kernel: Kernel) -> None:
    """Add or replace a fused kernel (e.g. for a new rule or device)."""
    find_kernel("", device_type, torch.float32, {})  # materialise the defaults first
    _REGISTRY.setdefault(device_type, {})[rule_name] = kernel


def available_kernels() -> dict[str, bool]:
    """Which built-in kernels can run here, e.g. ``{"cpu": True, "cuda": False}``."""
    from optbridge.engine.kernels import cpu, cuda_triton

    return {"cpu": cpu.load() is not None, "cuda": cuda_triton.available()}
