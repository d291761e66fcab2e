"""Fused kernels by (device type, rule name); anything a kernel does not take runs the rule.

A kernel declares what it implements: the option fields (an allow-list) and the dtypes. Any
other field of a rule's typed options must hold its default for the kernel to be used, so a
flag added to a rule later can never be silently ignored by a kernel that predates it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

#: ``run_lists(params, grads, state, steps, options) -> indices not taken``: updates the
#: params (and their state, by buffer name; each ``steps[i]`` is incremented) in place.
ListsFn = Callable[[list[Tensor], list[Tensor], dict[str, list[Tensor]], list[Tensor] | None,
                    Any], list[int]]
#: ``run_group(params, optimizer_state, options, plan) -> (indices not taken, a grad was
#: sparse, (index, key) of a state lacking a buffer or None, index of a grad partly
#: overlapping its param or -1)``; with any of the last three, nothing was updated. ``plan``
#: (from ``new_plan()``, one per param group) caches the group's pointers between steps.
GroupFn = Callable[[list[Tensor], dict, Any, Any],
                   tuple[list[int], bool, tuple[int, str] | None, int]]


@dataclass(frozen=True)
class Kernel:
    """A fused implementation of one rule on one device type.

    ``implements`` names the option fields it honours; ``dtypes`` the param dtypes it takes.
    ``run_group`` (optional) reads grads and state straight from an optimizer's param group,
    with a plan made by ``new_plan``.
    """

    name: str
    implements: frozenset[str]
    dtypes: frozenset[torch.dtype]
    run_lists: ListsFn
    available: Callable[[], bool]
    run_group: GroupFn | None = None
    new_plan: Callable[[], Any] | None = None

    def supports(self, options: Any) -> bool:
        """Whether every option this kernel does not implement holds its default."""
        for field in dataclasses.fields(options):
            if field.name in self.implements:
                continue
            if field.default is dataclasses.MISSING:
                return False
            if getattr(options, field.name) != field.default:
                return False
        return True


def _cpu_kernels() -> dict[str, Kernel]:
    from optbridge.engine.kernels import cpu

    def available() -> bool:
        return cpu.load() is not None

    return {
        "rmsprop": Kernel("cpu-rmsprop", cpu.RMSPROP_IMPLEMENTS, cpu.DTYPES, cpu.rmsprop_lists,
                          available, cpu.rmsprop_group, cpu.new_plan),
        "rprop": Kernel("cpu-rprop", cpu.RPROP_IMPLEMENTS, cpu.DTYPES, cpu.rprop_lists,
                        available, cpu.rprop_group, cpu.new_plan),
    }


def _cuda_kernels() -> dict[str, Kernel]:
    from optbridge.engine.kernels import cuda_triton

    return {
        "rmsprop": Kernel("triton-rmsprop", cuda_triton.RMSPROP_IMPLEMENTS, cuda_triton.DTYPES,
                          cuda_triton.rmsprop_lists, cuda_triton.available),
        "rprop": Kernel("triton-rprop", cuda_triton.RPROP_IMPLEMENTS, cuda_triton.DTYPES,
                        cuda_triton.rprop_lists, cuda_triton.available),
    }


_FACTORIES: dict[str, Callable[[], dict[str, Kernel]]] = {"cpu": _cpu_kernels,
                                                         "cuda": _cuda_kernels}
_REGISTRY: dict[str, dict[str, Kernel]] = {}


def kernels_for(device_type: str) -> dict[str, Kernel]:
    """The built-in kernels of a device type, by rule name (whether or not they can run)."""
    kernels = _REGISTRY.get(device_type)
    if kernels is None:
        factory = _FACTORIES.get(device_type)
        kernels = _REGISTRY[device_type] = factory() if factory is not None else {}
    return kernels


def find_kernel(rule_name: str, device_type: str, options: Any,
                dtype: torch.dtype | None = None) -> Kernel | None:
    """The fused kernel for this rule, device and options (and dtype, if given), or None."""
    kernel = kernels_for(device_type).get(rule_name)
    if kernel is None or not kernel.supports(options):
        return None
    if dtype is not None and dtype not in kernel.dtypes:
        return None
    return kernel if kernel.available() else None


def available_kernels() -> dict[str, bool]:
    """Which built-in kernels can run here, e.g. ``{"cpu": True, "cuda": False}``."""
    from optbridge.engine.kernels import cpu, cuda_triton

    return {"cpu": cpu.load() is not None, "cuda": cuda_triton.available()}
