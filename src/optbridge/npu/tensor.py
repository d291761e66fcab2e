"""The npu tensor: a wrapper subclass whose data lives in an inner CPU tensor.

Every aten op on an npu tensor reaches `NpuTensor.__torch_dispatch__`, which runs the op's plan
(`optbridge.npu.dispatch`): unwrap, run on CPU, rewrap. This module holds the tensor class and
what keeps a wrapper's metadata in step with its inner tensor.
"""

from __future__ import annotations

from typing import Self

import torch

aten = torch.ops.aten
_Tensor = torch.Tensor
_make_wrapper = torch.Tensor._make_wrapper_subclass
_NPU_DEVICE: torch.device | None = None  # torch.device("npu", 0), set once the backend is renamed
_CPU = torch.device("cpu")
_META_KEYS = torch._C.DispatchKeySet(torch._C.DispatchKey.Meta)


class NpuTensor(torch.Tensor):
    """A tensor on the simulated NPU; `_cpu` holds its data."""

    _cpu: torch.Tensor

    # Python-level torch function overrides cost a call per torch function; nothing needs them.
    __torch_function__ = torch._C._disabled_torch_function_impl

    @staticmethod
    def __new__(cls, cpu: torch.Tensor, requires_grad: bool = False) -> Self:
        return wrap(cpu, requires_grad)

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        plan = _PLANS.get(func)
        if plan is None:
            plan = _PLANS[func] = _make_plan(func)
        return plan(func, args, kwargs)

    # --- what a device tensor does differently from a CPU one ---------------------------------
    def __repr__(self, *, tensor_contents: str | None = None) -> str:
        if tensor_contents is None:
            tensor_contents = torch._tensor_str._tensor_str(self._cpu.detach(), len("tensor("))
        text = torch._tensor_str._str(self, tensor_contents=tensor_contents)
        return "tensor(" + text[len(type(self).__name__) + 1 :]

    def __format__(self, format_spec: str) -> str:
        if self.dim() == 0 and not self.is_meta:
            return self._cpu.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def tolist(self):
        return self._cpu.tolist()

    def numpy(self, *, force: bool = False):
        if force:
            return self._cpu.detach().numpy()
        raise TypeError(
            f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() to copy "
            "the tensor to host memory first."
        )

    def __array__(self, dtype=None, copy=None):
        return self.numpy()

    def data_ptr(self) -> int:
        return self._cpu.data_ptr()

    def untyped_storage(self) -> torch.UntypedStorage:
        return self._cpu.untyped_storage()

    def is_pinned(self, device=None) -> bool:
        return False

    def pin_memory(self, device=None) -> NpuTensor:
        return self

    def record_stream(self, stream) -> None:
        return None

    @property
    def data(self) -> torch.Tensor:
        return _Tensor.data.__get__(self)

    @data.setter
    def data(self, new: torch.Tensor) -> None:
        if type(new) is not NpuTensor:
            raise RuntimeError(
                f"cannot assign a tensor on {new.device} to the .data of a tensor on {self.device}"
            )
        _Tensor.data.__set__(self, new)
        self._cpu = new._cpu

    def __reduce_ex__(self, protocol):
        from optbridge.npu import serialization

        return serialization.reduce_npu_tensor(self)


def wrap(cpu: torch.Tensor, requires_grad: bool = False) -> NpuTensor:
    """Make an npu tensor whose data is `cpu` (no copy)."""
    if cpu.layout != torch.strided:
        from optbridge.npu.layouts import unsupported_layout

        raise unsupported_layout("this op", cpu.layout)
    out = _make_wrapper(
        NpuTensor,
        cpu.size(),
        strides=cpu.stride(),
        storage_offset=cpu.storage_offset(),
        dtype=cpu.dtype,
        device=_NPU_DEVICE,
        requires_grad=requires_grad,
    )
    out._cpu = cpu
    return out


def check_device(device: torch.device) -> None:
    """Refuse devices the simulation does not have, naming what exists."""
    if device.type != "npu":
        raise RuntimeError(f"expected an npu or cpu device, got {device}")
    if device.index not in (None, 0):
        raise RuntimeError(
            f"the simulated NPU has one device (npu:0); {device} does not exist. Training on "
            "npu:1 and above is a documented limitation of the simulation."
        )


def resync(outer: NpuTensor) -> None:
    """Make the wrapper's sizes, strides and offset match its inner tensor after an op that
    changed them in place (`out=` variants, `resize_`, `t_`, ...)."""
    inner = outer._cpu
    if (
        outer.size() == inner.size()
        and outer.stride() == inner.stride()
        and outer.storage_offset() == inner.storage_offset()
    ):
        return
    # The Meta kernel of set_ only rewrites metadata; the wrapper's storage holds no data, so a
    # larger placeholder storage is made when the new view needs more room.
    needed = (inner.storage_offset() + _span(inner)) * inner.element_size()
    storage = _Tensor.untyped_storage(outer)
    if storage.nbytes() < needed:
        room = _make_wrapper(NpuTensor, [needed], dtype=torch.uint8, device=_NPU_DEVICE)
        storage = _Tensor.untyped_storage(room)
    with torch._C._DisableTorchDispatch():
        aten.set_.source_Storage_storage_offset.redispatch(
            _META_KEYS, outer, storage, inner.storage_offset(), inner.size(), inner.stride()
        )


def _span(t: torch.Tensor) -> int:
    if t.numel() == 0:
        return 0
    return 1 + sum((size - 1) * stride for size, stride in zip(t.size(), t.stride(), strict=True))


def register_with_torch() -> None:
    """Steps that need the renamed backend: the device object and torch.optim's foreach list."""
    global _NPU_DEVICE
    _NPU_DEVICE = torch.device("npu", 0)
    dispatch.register(_NPU_DEVICE)
    # torch.optim picks foreach by exact type; without this the subclass gets the slow loop.
    from torch.optim import optimizer

    if NpuTensor not in optimizer._foreach_supported_types:
        optimizer._foreach_supported_types.append(NpuTensor)


# Late import: the dispatch plans use the class above.
from optbridge.npu import dispatch

_PLANS = dispatch.PLANS
_make_plan = dispatch.make_plan
