"""Apply a rule to flat tensors through the fastest kernel available, else its torch ops."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from optbridge.engine.kernels import find_kernel
from optbridge.engine.rules.spec import Rule

# Generic path on CPU: run the rule on slices that stay in L2 (1 MiB of fp32 per buffer
# slice would already spill; 64 Ki elements keeps ~6 buffers of fp32 in 2 MiB).
CPU_CHUNK_ELEMENTS = 1 << 16


def apply_rule(
    rule: Rule,
    param: Tensor,
    grad: Tensor,
    state: dict[str, Tensor],
    options: dict[str, Any],
    *,
    allow_kernel: bool = True,
) -> str:
    """Apply ``rule`` in place to same-shaped tensors ``param``, ``grad`` and ``state``.

    Uses a fused kernel when one is registered for ``rule.name`` on this device and supports
    ``options`` and the dtype (tensors must then be contiguous); otherwise runs
    ``rule.update`` itself, in cache-sized chunks on CPU. Returns the path taken:
    the kernel's name, ``"torch-ops"`` or ``"torch-ops-chunked"``.
    """
    contiguous = param.is_contiguous() and grad.is_contiguous() and all(
        t.is_contiguous() for t in state.values()
    )
    if allow_kernel and contiguous:
        kernel = find_kernel(rule.name, param.device.type, param.dtype, options)
        if kernel is not None:
            kernel.run(param, grad, state, options)
            return kernel.name
    n = param.numel()
    if param.device.type != "cpu" or n <= CPU_CHUNK_ELEMENTS or not contiguous:
        rule.update(param, grad, state, **options)
        return "torch-ops"
    flat_param, flat_grad = param.view(-1), grad.view(-1)
    flat_state = {k: t.view(-1) for k, t in state.items()}
    for lo in range(0, n, CPU_CHUNK_ELEMENTS):
        hi = min(lo + CPU_CHUNK_ELEMENTS, n)
        rule.update(flat_param[lo:hi], flat_grad[lo:hi],
                    {k: t[lo:hi] for k, t in flat_state.items()}, **options)
    return "torch-ops-chunked"
