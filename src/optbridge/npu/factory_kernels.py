"""Kernels on the PrivateUse1 dispatch key for ops that reach the backend with no npu tensor
among their arguments (factories such as `torch.empty(..., device="npu")`).

Everything else is handled by `NpuTensor.__torch_dispatch__`; a catch-all fallback here would
break with an internal assert when a wrapper reaches it, so only these ops are registered.
"""

from __future__ import annotations

import torch

from optbridge.npu import memory
from optbridge.npu.layouts import check_layout
from optbridge.npu.tensor import check_device, wrap

_library: torch.library.Library | None = None
_sparse_library: torch.library.Library | None = None


def _target(device) -> None:
    if device is not None:
        check_device(torch.device(device))


def _empty_memory_format(
    size, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None
):
    _target(device)
    check_layout("torch.empty", layout)
    out = torch.empty(size, dtype=dtype, layout=layout, memory_format=memory_format)
    if memory.tracking:
        memory.track(out)
    return wrap(out)


def _empty_strided(size, stride, dtype=None, layout=None, device=None, pin_memory=None):
    _target(device)
    check_layout("torch.empty_strided", layout)
    out = torch.empty_strided(size, stride, dtype=dtype, layout=layout)
    if memory.tracking:
        memory.track(out)
    return wrap(out)


def _randperm(n, *, generator=None, dtype=None, layout=None, device=None, pin_memory=None):
    from optbridge.npu import random

    _target(device)
    return wrap(torch.randperm(n, generator=generator or random.generator, dtype=dtype))


def _copy_from(self, dst, non_blocking=False):
    # Reached by host-to-npu copies made inside C++ (e.g. torch.tensor(data, device="npu")).
    from optbridge.npu.tensor import NpuTensor

    source = self._cpu if type(self) is NpuTensor else self
    target = dst._cpu if type(dst) is NpuTensor else dst
    target.copy_(source, non_blocking)
    return dst


def _sparse_factory(*args, **kwargs):
    check_layout("a sparse factory", kwargs.get("layout") or torch.sparse_coo)


def register() -> None:
    global _library, _sparse_library
    if _library is not None:
        return
    # Sparse factories on the npu reach the SparsePrivateUse1 key: name the limitation there.
    _sparse_library = torch.library.Library("aten", "IMPL", "SparsePrivateUse1")
    _sparse_library.impl("empty.memory_format", _sparse_factory)
    _library = torch.library.Library("aten", "IMPL", "PrivateUse1")
    _library.impl("empty.memory_format", _empty_memory_format)
    _library.impl("empty_strided", _empty_strided)
    _library.impl("randperm", _randperm)
    _library.impl("randperm.generator", _randperm)
    _library.impl("_copy_from", _copy_from)
