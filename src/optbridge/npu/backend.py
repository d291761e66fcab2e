"""Registering the simulated NPU with torch as its PrivateUse1 backend, once per process.

The order matters (see the reference on the simulated NPU): rename PrivateUse1 to "npu", then
register the Python device guard and hooks at once (without the guard the first autograd pass over
an npu tensor aborts the process), then the device module, then kernels and policies.
"""

from __future__ import annotations

import atexit
import importlib.util
import itertools
import sys
import threading
import time

import torch

BACKEND_NAME = "npu"

_install_lock = threading.Lock()
_installed = False
_too_late: str | None = None  # why autograd cannot reach the npu in this process, if it cannot


class SimulatedNpuError(RuntimeError):
    """Raised when the simulated NPU cannot do what was asked (a documented limitation)."""


def real_torch_npu_available() -> bool:
    """True when a real `torch_npu` package (not this simulator) can be imported."""
    loaded = sys.modules.get("torch_npu")
    if loaded is not None:
        return not getattr(loaded, "IS_SIMULATED_NPU", False)
    try:
        spec = importlib.util.find_spec("torch_npu")
    except (ImportError, ValueError):
        return False
    return spec is not None


def is_installed() -> bool:
    """True once `install()` has registered the simulated NPU in this process."""
    return _installed


class _NpuHooks(torch._C._acc.PrivateUse1Hooks):
    def is_available(self) -> bool:
        return True

    def has_primary_context(self, dev_id: int) -> bool:
        return True

    def is_built(self) -> bool:
        return True


class _NpuDeviceGuard(torch._C._acc.DeviceGuard):
    # torch asks the guard for its device type around every autograd node (several times per
    # backward op); a C-level callable answers without running a Python frame.
    type_ = itertools.repeat(torch._C._autograd.DeviceType.PrivateUse1).__next__


def install() -> None:
    """Register the simulated NPU as torch's "npu" device. Idempotent.

    Raises `SimulatedNpuError` when the real torch_npu is installed (use it instead) or when
    PrivateUse1 was already claimed by another backend.
    """
    global _installed
    with _install_lock:
        if _installed:
            if _too_late:
                raise SimulatedNpuError(_too_late)
            return
        if real_torch_npu_available():
            raise SimulatedNpuError(
                "the real torch_npu package is installed: import torch_npu and use the hardware "
                "instead of optbridge's simulated NPU"
            )
        current = torch._C._get_privateuse1_backend_name()
        if current not in ("privateuseone", BACKEND_NAME):
            raise SimulatedNpuError(
                f"torch's PrivateUse1 backend is already registered as {current!r}; the simulated "
                "NPU needs it and cannot be installed in this process"
            )
        if current != BACKEND_NAME:
            torch.utils.rename_privateuse1_backend(BACKEND_NAME)
        # The guard and hooks right after the rename: the first registered guard wins.
        torch._C._acc.register_python_privateuseone_hook(_NpuHooks())
        torch._C._acc.register_python_privateuseone_device_guard(_NpuDeviceGuard())

        from optbridge.npu import (
            autocast_policy,
            device_module,
            factory_kernels,
            host_pinning,
            serialization,
            tensor,
        )

        torch.utils.generate_methods_for_privateuse1_backend(
            for_tensor=True, for_module=True, for_storage=False, for_packed_sequence=True
        )
        torch._register_device_module(BACKEND_NAME, device_module)
        factory_kernels.register()
        host_pinning.register()
        autocast_policy.register()
        serialization.register()
        tensor.register_with_torch()
        _make_accelerator_synchronize_a_no_op()
        atexit.register(_let_autograd_worker_finish)
        _installed = True
        _check_autograd_reaches_npu()


def _check_autograd_reaches_npu() -> None:
    """Autograd sizes its per-device queues the first time it runs; a device registered later
    has no queue, and every backward over it fails with an internal assert. Say so clearly."""
    global _too_late
    probe = torch.ones(1, device=BACKEND_NAME, requires_grad=True)
    try:
        (probe * 2).sum().backward()
    except RuntimeError as exc:
        if "device_ready_queues_" not in str(exc):
            raise
        _too_late = (
            "the simulated NPU was installed after autograd had already run in this process, so "
            "backward passes cannot reach it: call optbridge.npu.install() (or "
            "select_device('npu')) before the first backward pass"
        )
        raise SimulatedNpuError(_too_late) from None


def _let_autograd_worker_finish() -> None:
    """Backward passes over npu tensors run on autograd's npu worker thread, which releases the
    graph's Python objects after the caller has its result. If it still needs the GIL once the
    interpreter is finalizing, the process aborts ("terminate called without an active
    exception", seen once in about 40 runs of a backward-heavy script under heavy load), so the
    exiting thread gives it a moment first."""
    time.sleep(0.01)


def _make_accelerator_synchronize_a_no_op() -> None:
    """torch.accelerator.synchronize() asks the device guard, which cannot answer for a Python
    backend; every simulated op has finished when it returns, so there is nothing to wait for."""
    original = torch.accelerator.synchronize

    def synchronize(device=None) -> None:
        accelerator = torch.accelerator.current_accelerator()
        if accelerator is not None and accelerator.type == BACKEND_NAME:
            from optbridge.npu.device_module import synchronize as npu_synchronize

            npu_synchronize(device)
            return None
        return original(device)

    synchronize.__doc__ = original.__doc__
    torch.accelerator.synchronize = synchronize
