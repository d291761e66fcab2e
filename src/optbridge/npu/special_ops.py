"""Ops that need more than unwrap, run on CPU, rewrap: device moves and copies, `set_` (also how
checkpoints load), detach/alias, pinning, the fused RNN cells."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from optbridge.npu import memory
from optbridge.npu.tensor import NpuTensor, check_device, resync, wrap

aten = torch.ops.aten
_Tensor = torch.Tensor
_make_wrapper = torch.Tensor._make_wrapper_subclass
_CPU = torch.device("cpu")


def _to_copy(func, args, kwargs):
    kwargs = dict(kwargs or {})
    source = args[0]
    device = kwargs.get("device")
    to_cpu = device is not None and torch.device(device).type == "cpu"
    if device is not None and not to_cpu:
        check_device(torch.device(device))
    kwargs["device"] = _CPU
    kwargs.pop("pin_memory", None)
    inner = source._cpu if type(source) is NpuTensor else source
    out = aten._to_copy.default(inner, **kwargs)
    if to_cpu:
        return out
    if memory.tracking:
        memory.track(out)
    return wrap(out)


def _copy_(func, args, kwargs):
    dest, src = args[0], args[1]
    non_blocking = args[2] if len(args) > 2 else (kwargs or {}).get("non_blocking", False)
    dest_inner = dest._cpu if type(dest) is NpuTensor else dest
    src_inner = src._cpu if type(src) is NpuTensor else src
    dest_inner.copy_(src_inner, non_blocking)
    return dest


def _set_source(func, args, kwargs):
    from optbridge.npu import serialization

    outer = args[0]
    outer._cpu = outer._cpu.detach()  # its own inner, as in dispatch._unshare_inners
    rest = [
        serialization.host_storage(a) if isinstance(a, torch.UntypedStorage) else a
        for a in args[1:]
    ]
    if rest and type(rest[0]) is NpuTensor:
        rest[0] = rest[0]._cpu
    func(outer._cpu, *rest, **(kwargs or {}))
    resync(outer)
    return outer


def _share_inner(func, args, kwargs):
    # detach/alias keep data and metadata, and inner tensors never require grad: the new
    # wrapper can hold the same inner tensor (ops that restride one wrapper unshare it first).
    source = args[0]
    result = _make_wrapper(
        NpuTensor,
        source.size(),
        strides=source.stride(),
        storage_offset=source.storage_offset(),
        dtype=source.dtype,
        device=source.device,
    )
    result._cpu = source._cpu
    return result


def _packed_sequence(func, args, kwargs):
    # As on CUDA, the lengths / batch sizes these return stay on the CPU; only the data moves.
    unwrapped = [a._cpu if type(a) is NpuTensor else a for a in args]
    data, sizes = func(*unwrapped, **(kwargs or {}))
    return wrap(data), sizes


def _noop_return_self(func, args, kwargs):
    return args[0]


def _is_pinned(func, args, kwargs):
    return False


SPECIAL_OPS: dict[Any, Callable] = {
    aten._to_copy.default: _to_copy,
    aten.copy_.default: _copy_,
    aten.set_.source_Storage: _set_source,
    aten.set_.source_Storage_storage_offset: _set_source,
    aten.set_.source_Tensor: _set_source,
    aten.set_.source_Tensor_storage_offset: _set_source,
    aten.detach.default: _share_inner,
    aten.alias.default: _share_inner,
    aten._pack_padded_sequence.default: _packed_sequence,
    aten._pad_packed_sequence.default: _packed_sequence,
    aten._pin_memory.default: _noop_return_self,
    aten.is_pinned.default: _is_pinned,
    aten.record_stream.default: lambda func, args, kwargs: None,
}


def register() -> None:
    from optbridge.npu import rnn_cells

    SPECIAL_OPS.update(rnn_cells.special_ops())
