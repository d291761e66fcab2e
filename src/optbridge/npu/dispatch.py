"""The per-op path of the simulated NPU: a plan per op overload, computed once from its schema.

Every aten op on an npu tensor runs through here, and that round trip is the whole cost of the
simulation, so the path is kept short: which outputs alias which inputs, whether the op draws
random numbers and whether it allocates are decided once per op; arguments are unwrapped by hand
instead of with pytree; the common wrap is inlined.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from optbridge.npu import memory, random
from optbridge.npu.layouts import (
    SPARSE_GRADIENT_OPS,
    refusing_sparse_gradients,
    unsupported_layout,
)
from optbridge.npu.special_ops import SPECIAL_OPS
from optbridge.npu.tensor import NpuTensor, check_device, resync, wrap

aten = torch.ops.aten
_Tensor = torch.Tensor
_make_wrapper = torch.Tensor._make_wrapper_subclass
_CPU = torch.device("cpu")
_STRIDED = torch.strided
_NPU_DEVICE: torch.device | None = None
PLANS: dict[Any, Callable] = {}


def _mismatch(func, tensor: torch.Tensor) -> RuntimeError:
    return RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{_NPU_DEVICE} and {tensor.device}! (when checking arguments for {func})"
    )


# Ops that legitimately take CPU tensors next to device ones (copies, CPU index tensors).
_CROSS_DEVICE_OK = frozenset()


def _unwrap_seq(seq, func, cross_ok):
    out = []
    for a in seq:
        t = type(a)
        if t is NpuTensor:
            out.append(a._cpu)
        elif t is _Tensor and not cross_ok and a.dim() != 0:
            raise _mismatch(func, a)
        else:
            out.append(a)
    return out


def _unwrap_kwargs(kwargs, func, cross_ok):
    """Unwrap keyword arguments; a `device` keyword is redirected to CPU and remembered."""
    out = {}
    target_cpu = False
    for key, a in kwargs.items():
        t = type(a)
        if t is NpuTensor:
            a = a._cpu
        elif t is _Tensor:
            if not cross_ok and a.dim() != 0:
                raise _mismatch(func, a)
        elif t is list or t is tuple:
            a = _unwrap_seq(a, func, cross_ok)
        elif key == "device" and a is not None:
            device = torch.device(a)
            if device.type == "cpu":
                target_cpu = True
            else:
                check_device(device)
            a = _CPU
        out[key] = a
    return out, target_cpu


def _wrap_result(out):
    t = type(out)
    if t is _Tensor:
        return wrap(out)
    if t is tuple or t is list:
        return t(wrap(o) if type(o) is _Tensor else o for o in out)
    return out


def make_plan(func) -> Callable[[Any, tuple, dict | None], Any]:
    special = SPECIAL_OPS.get(func)
    if special is not None:
        return special
    schema = func._schema
    arguments = schema.arguments
    mutated_returns: list[tuple[int, str]] = []  # (position, name) of the input each return is
    for ret in schema.returns:
        info = ret.alias_info
        if info is None or not info.is_write:
            mutated_returns = []
            break
        for position, arg in enumerate(arguments):
            if arg.alias_info is not None and arg.alias_info.before_set == info.before_set:
                mutated_returns.append((-1 if arg.kwarg_only else position, arg.name))
                break
    returns_inputs = bool(mutated_returns) and len(mutated_returns) == len(schema.returns)
    seeded = torch.Tag.nondeterministic_seeded in func.tags
    allocates = not schema.is_mutable and all(r.alias_info is None for r in schema.returns)
    may_restride = returns_inputs and (
        any(position < 0 for position, _ in mutated_returns) or func in _RESTRIDING_INPLACE
    )
    cross_ok = func in _CROSS_DEVICE_OK
    in_place_position = (
        mutated_returns[0][0]
        if returns_inputs
        and len(mutated_returns) == 1
        and mutated_returns[0][0] >= 0
        and not may_restride
        else None
    )
    call = func._op  # the C++ op itself, skipping OpOverload.__call__'s Python frame

    def run(func, args, kwargs):
        original_kwargs = kwargs
        if may_restride:
            _unshare_inners(args, kwargs, mutated_returns)
        cpu_args = []
        for a in args:
            t = type(a)
            if t is NpuTensor:
                cpu_args.append(a._cpu)
            elif t is _Tensor:
                if not cross_ok and a.dim() != 0:
                    raise _mismatch(func, a)
                cpu_args.append(a)
            elif t is list or t is tuple:
                cpu_args.append(_unwrap_seq(a, func, cross_ok))
            else:
                cpu_args.append(a)
        target_cpu = False
        if kwargs:
            kwargs, target_cpu = _unwrap_kwargs(kwargs, func, cross_ok)
            if seeded:
                out = random.run_seeded(func, cpu_args, kwargs)
            else:
                out = call(*cpu_args, **kwargs)
        elif seeded:
            out = random.run_seeded(func, cpu_args, {})
        else:
            out = call(*cpu_args)
        if returns_inputs:
            if in_place_position is not None:  # the common `x.add_(y)`: hand back x itself
                return args[in_place_position]
            originals = [
                args[position] if 0 <= position < len(args) else original_kwargs[name]
                for position, name in mutated_returns
            ]
            if may_restride:
                for original in originals:
                    if type(original) is NpuTensor:
                        resync(original)
            return originals[0] if len(originals) == 1 else tuple(originals)
        if target_cpu:
            return out
        if type(out) is _Tensor:  # wrap() inlined: this line runs for most ops
            if out.layout is not _STRIDED:  # sparse: the wrapper cannot hold it
                raise unsupported_layout(str(func), out.layout)
            result = _make_wrapper(
                NpuTensor,
                out.size(),
                strides=out.stride(),
                storage_offset=out.storage_offset(),
                dtype=out.dtype,
                device=_NPU_DEVICE,
            )
            result._cpu = out
        else:
            result = _wrap_result(out)
        if allocates and memory.tracking:
            memory.track(out)
        return result

    if func in SPARSE_GRADIENT_OPS:
        return refusing_sparse_gradients(func, run)
    return run


# In-place ops that change the sizes or strides of their input.
_RESTRIDING_INPLACE = {
    aten.resize_.default,
    aten.as_strided_.default,
    aten.squeeze_.default,
    aten.squeeze_.dim,
    aten.squeeze_.dims,
    aten.unsqueeze_.default,
    aten.t_.default,
    aten.transpose_.default,
    aten.swapdims_.default,
    aten.swapaxes_.default,
    aten.resize_as_.default,
}


def _unshare_inners(args, kwargs, mutated) -> None:
    """Give the wrappers an op is about to restride inner tensors of their own: `detach` and
    `.data =` let wrappers share one inner tensor object (same data, same metadata), and a
    metadata change must reach only the wrapper it is applied to."""
    for position, name in mutated:
        original = args[position] if 0 <= position < len(args) else (kwargs or {}).get(name)
        if type(original) is NpuTensor:
            original._cpu = original._cpu.detach()


def register(device: torch.device) -> None:
    global _NPU_DEVICE, _CROSS_DEVICE_OK
    _NPU_DEVICE = device
    _CROSS_DEVICE_OK = frozenset(
        {
            aten.index.Tensor,
            aten.index_put_.default,
            aten._index_put_impl_.default,
            aten.index_put.default,
            aten._pack_padded_sequence_backward.default,  # batch sizes live on the CPU
        }
    )
    from optbridge.npu import special_ops

    special_ops.register()
