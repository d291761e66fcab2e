"""Single-pass CUDA kernels in Triton (Triton ships with CUDA builds of torch).

One program handles ``BLOCK`` elements of each flat buffer: every buffer is read and written
once per step. Options are ``tl.constexpr`` so each combination compiles to branch-free
code. IEEE sqrt and division (``sqrt_rn``/``div_rn``) keep results within float rounding of
torch's CUDA ops (torch lets nvcc contract multiply-adds, so equality is not bit for bit).
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import Tensor

BLOCK = 1024


@functools.cache
def available() -> bool:
    """True when CUDA is usable and Triton imports."""
    if not torch.cuda.is_available():
        return False
    try:
        import triton
        import triton.language  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _kernels() -> tuple[Any, Any]:
    import triton
    import triton.language as tl

    @triton.jit
    def rmsprop_kernel(w_ptr, g_ptr, v_ptr, ga_ptr, b_ptr, n, sgn, lr, alpha, one_m_alpha, eps,
                       wd, mom, WD: tl.constexpr, CENTERED: tl.constexpr, MOM: tl.constexpr,
                       EPS_IN_SQRT: tl.constexpr, BLOCK_SIZE: tl.constexpr):
        offs = tl.program_id(0).to(tl.int64) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offs < n
        w = tl.load(w_ptr + offs, mask=mask)
        g = tl.load(g_ptr + offs, mask=mask) * sgn
        if WD == 1:
            g = g + wd * w
        if WD == 2:
            w = w - (w * wd) * lr
        v = tl.load(v_ptr + offs, mask=mask) * alpha + one_m_alpha * g * g
        tl.store(v_ptr + offs, v, mask=mask)
        d = v
        if CENTERED:
            ga = tl.load(ga_ptr + offs, mask=mask)
            ga = ga + one_m_alpha * (g - ga)
            tl.store(ga_ptr + offs, ga, mask=mask)
            d = v - ga * ga
        if EPS_IN_SQRT:
            d = tl.sqrt_rn(d + eps)
        else:
            d = tl.sqrt_rn(d) + eps
        if MOM == 1:
            b = tl.load(b_ptr + offs, mask=mask) * mom + tl.div_rn(g, d)
            tl.store(b_ptr + offs, b, mask=mask)
            w = w - lr * b
        elif MOM == 2:
            b = tl.load(b_ptr + offs, mask=mask) * mom + tl.div_rn(g, d) * lr
            tl.store(b_ptr + offs, b, mask=mask)
            w = w - b
        else:
            w = w - tl.div_rn(lr * g, d)
        tl.store(w_ptr + offs, w, mask=mask)

    @triton.jit
    def rprop_kernel(w_ptr, g_ptr, prev_ptr, ss_ptr, n, sgn, etaminus, etaplus, lo, hi, wd,
                     WD: tl.constexpr, BLOCK_SIZE: tl.constexpr):
        offs = tl.program_id(0).to(tl.int64) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offs < n
        w = tl.load(w_ptr + offs, mask=mask)
        g = tl.load(g_ptr + offs, mask=mask) * sgn
        if WD:
            g = g + wd * w
        pr = g * tl.load(prev_ptr + offs, mask=mask)
        f = tl.where(pr > 0, etaplus, tl.where(pr < 0, etaminus, 1.0))
        s = tl.load(ss_ptr + offs, mask=mask) * f
        s = tl.minimum(tl.maximum(s, lo), hi)
        tl.store(ss_ptr + offs, s, mask=mask)
        gz = tl.where(f == etaminus, 0.0, g)
        sg = tl.where(gz > 0, 1.0, tl.where(gz < 0, -1.0, 0.0))
        tl.store(w_ptr + offs, w - sg * s, mask=mask)
        tl.store(prev_ptr + offs, gz, mask=mask)

    return rmsprop_kernel, rprop_kernel


def rmsprop_supports(options: dict[str, Any], dtype: torch.dtype) -> bool:
    """fp32 only; nesterov and bias correction go to the generic path."""
    return (dtype == torch.float32 and not options.get("nesterov", False)
            and not options.get("bias_correction", False))


def rmsprop(param: Tensor, grad: Tensor, state: dict[str, Tensor], options: dict[str, Any]) -> None:
    """RMSprop on contiguous CUDA fp32 tensors in one kernel launch."""
    kernel = _kernels()[0]
    n = param.numel()
    wd = float(options.get("weight_decay", 0.0))
    momentum = float(options.get("momentum", 0.0))
    centered = bool(options.get("centered", False))
    sq = state["square_avg"]
    alpha = float(options["alpha"])
    kernel[((n + BLOCK - 1) // BLOCK,)](
        param, grad, sq, state.get("grad_avg", sq) if centered else sq,
        state.get("momentum_buffer", sq) if momentum > 0 else sq, n,
        -1.0 if options.get("maximize") else 1.0, float(options["lr"]), alpha, 1.0 - alpha,
        float(options["eps"]), wd, momentum,
        WD=0 if wd == 0 else (2 if options.get("decoupled_weight_decay") else 1),
        CENTERED=centered,
        MOM=0 if momentum <= 0 else (2 if options.get("lr_in_momentum") else 1),
        EPS_IN_SQRT=bool(options.get("eps_in_sqrt")), BLOCK_SIZE=BLOCK,
    )


def rprop_supports(options: dict[str, Any], dtype: torch.dtype) -> bool:
    """fp32 only."""
    return dtype == torch.float32


def rprop(param: Tensor, grad: Tensor, state: dict[str, Tensor], options: dict[str, Any]) -> None:
    """Rprop on contiguous CUDA fp32 tensors in one kernel launch."""
    kernel = _kernels()[1]
    n = param.numel()
    etaminus, etaplus = options.get("etas", (0.5, 1.2))
    lo, hi = options.get("step_sizes", (1e-6, 50.0))
    wd = float(options.get("weight_decay", 0.0))
    kernel[((n + BLOCK - 1) // BLOCK,)](
        param, grad, state["prev"], state["step_size"], n,
        -1.0 if options.get("maximize") else 1.0, float(etaminus), float(etaplus), float(lo),
        float(hi), wd, WD=wd != 0, BLOCK_SIZE=BLOCK,
    )
