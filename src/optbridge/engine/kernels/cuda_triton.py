"""One-pass Triton kernels on tensor lists (CUDA; Triton's interpreter runs them on CPU tensors).

As apex's ``multi_tensor_apply`` and torch's fused optimizers: one launch covers a list of
tensors of one dtype. Each program handles ``BLOCK`` elements of one tensor, found through
tables of data pointers and sizes, so every param, grad and state tensor is read and written
where it lives, once per step. Options are ``tl.constexpr``, so each combination compiles to
branch-free code. float16 and bfloat16 are computed in float32 (rounded once on store),
float64 in float64. IEEE ``sqrt_rn``/``div_rn`` keep results within float rounding of torch's
ops (torch lets nvcc contract multiply-adds, so equality is not bit for bit).
"""

from __future__ import annotations

import functools
import os
from typing import Any

import torch
from torch import Tensor

from optbridge.engine.rules.rmsprop import RMSpropOptions
from optbridge.engine.rules.rprop import RpropOptions
from optbridge.engine.rules.spec import partially_overlap

BLOCK = 1024
DTYPES = frozenset({torch.float32, torch.float64, torch.float16, torch.bfloat16})
#: The options each kernel implements; any other field must hold its default.
RMSPROP_IMPLEMENTS = frozenset({"lr", "alpha", "eps", "weight_decay", "momentum", "centered",
                                "maximize", "eps_in_sqrt", "lr_in_momentum",
                                "decoupled_weight_decay"})
RPROP_IMPLEMENTS = frozenset({"lr", "etas", "step_sizes", "maximize", "weight_decay"})


def interpreted() -> bool:
    """True when ``TRITON_INTERPRET=1``: the kernels then run on CPU tensors, in numpy."""
    return os.environ.get("TRITON_INTERPRET") == "1"


@functools.cache
def triton_importable() -> bool:
    try:
        import triton
        import triton.language  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def available() -> bool:
    """True when CUDA is usable and Triton imports (the engine's CUDA path)."""
    return torch.cuda.is_available() and triton_importable()


@functools.cache
def _kernels() -> tuple[Any, Any]:
    import triton
    import triton.language as tl

    @triton.jit
    def rmsprop_kernel(w_ptrs, g_ptrs, v_ptrs, ga_ptrs, b_ptrs, sizes, block_tensor,
                       block_start, sgn, lr, alpha, one_m_alpha, eps, wd, mom,
                       DTYPE: tl.constexpr, COMPUTE: tl.constexpr, F64: tl.constexpr,
                       WD: tl.constexpr, CENTERED: tl.constexpr, MOM: tl.constexpr,
                       EPS_IN_SQRT: tl.constexpr, BLOCK_SIZE: tl.constexpr):
        pid = tl.program_id(0)
        t = tl.load(block_tensor + pid)
        offs = tl.load(block_start + pid) + tl.arange(0, BLOCK_SIZE)
        mask = offs < tl.load(sizes + t)
        w_ptr = tl.load(w_ptrs + t).to(tl.pointer_type(DTYPE))
        g_ptr = tl.load(g_ptrs + t).to(tl.pointer_type(DTYPE))
        v_ptr = tl.load(v_ptrs + t).to(tl.pointer_type(DTYPE))
        w = tl.load(w_ptr + offs, mask=mask).to(COMPUTE)
        g = tl.load(g_ptr + offs, mask=mask).to(COMPUTE) * sgn
        if WD == 1:
            g = g + wd * w
        if WD == 2:
            w = w - (w * wd) * lr
        v = tl.load(v_ptr + offs, mask=mask).to(COMPUTE) * alpha + one_m_alpha * g * g
        tl.store(v_ptr + offs, v.to(DTYPE), mask=mask)
        d = v
        if CENTERED:
            ga_ptr = tl.load(ga_ptrs + t).to(tl.pointer_type(DTYPE))
            ga = tl.load(ga_ptr + offs, mask=mask).to(COMPUTE)
            ga = ga + one_m_alpha * (g - ga)
            tl.store(ga_ptr + offs, ga.to(DTYPE), mask=mask)
            d = v - ga * ga
        # IEEE-rounded sqrt and division: sqrt_rn/div_rn in float32; float64's are already
        if EPS_IN_SQRT:
            d = d + eps
        if F64:
            d = tl.sqrt(d)
        else:
            d = tl.sqrt_rn(d)
        if not EPS_IN_SQRT:
            d = d + eps
        if F64:
            q = g / d
        else:
            q = tl.div_rn(g, d)
        if MOM == 1:
            b_ptr = tl.load(b_ptrs + t).to(tl.pointer_type(DTYPE))
            b = tl.load(b_ptr + offs, mask=mask).to(COMPUTE) * mom + q
            tl.store(b_ptr + offs, b.to(DTYPE), mask=mask)
            w = w - lr * b
        elif MOM == 2:
            b_ptr = tl.load(b_ptrs + t).to(tl.pointer_type(DTYPE))
            b = tl.load(b_ptr + offs, mask=mask).to(COMPUTE) * mom + q * lr
            tl.store(b_ptr + offs, b.to(DTYPE), mask=mask)
            w = w - b
        else:
            w = w - lr * q
        tl.store(w_ptr + offs, w.to(DTYPE), mask=mask)

    @triton.jit
    def rprop_kernel(w_ptrs, g_ptrs, prev_ptrs, ss_ptrs, sizes, block_tensor, block_start, sgn,
                     etaminus, etaplus, lo, hi, wd, DTYPE: tl.constexpr, COMPUTE: tl.constexpr,
                     WD: tl.constexpr, BLOCK_SIZE: tl.constexpr):
        pid = tl.program_id(0)
        t = tl.load(block_tensor + pid)
        offs = tl.load(block_start + pid) + tl.arange(0, BLOCK_SIZE)
        mask = offs < tl.load(sizes + t)
        w_ptr = tl.load(w_ptrs + t).to(tl.pointer_type(DTYPE))
        g_ptr = tl.load(g_ptrs + t).to(tl.pointer_type(DTYPE))
        prev_ptr = tl.load(prev_ptrs + t).to(tl.pointer_type(DTYPE))
        ss_ptr = tl.load(ss_ptrs + t).to(tl.pointer_type(DTYPE))
        w = tl.load(w_ptr + offs, mask=mask).to(COMPUTE)
        g = tl.load(g_ptr + offs, mask=mask).to(COMPUTE) * sgn
        if WD:
            g = g + wd * w
        pr = g * tl.load(prev_ptr + offs, mask=mask).to(COMPUTE)
        # torch: sign(g * prev) with sign(NaN) = 0, then masked assignments in sequence, each
        # mask read from the previous result (>0 -> etaplus, <0 -> etaminus, ==0 -> 1)
        f = tl.where(pr > 0, 1.0, tl.where(pr < 0, -1.0, 0.0))
        f = tl.where(f > 0, etaplus, f)
        f = tl.where(f < 0, etaminus, f)
        f = tl.where(f == 0, 1.0, f)
        s = tl.load(ss_ptr + offs, mask=mask).to(COMPUTE) * f
        # torch's clamp: a NaN in the value or in a bound propagates (x != x: x is NaN,
        # the test that compiles everywhere, the interpreter included)
        s = tl.where((s != s) | (lo != lo), float("nan"), tl.where(s < lo, lo, s))  # noqa: PLR0124
        s = tl.where((s != s) | (hi != hi), float("nan"), tl.where(s > hi, hi, s))  # noqa: PLR0124
        tl.store(ss_ptr + offs, s.to(DTYPE), mask=mask)
        gz = tl.where(f == etaminus, 0.0, g)
        sg = tl.where(gz > 0, 1.0, tl.where(gz < 0, -1.0, 0.0))
        tl.store(w_ptr + offs, (w + (-1.0 * sg) * s).to(DTYPE), mask=mask)
        tl.store(prev_ptr + offs, gz.to(DTYPE), mask=mask)

    return rmsprop_kernel, rprop_kernel


def _triton_dtypes(dtype: torch.dtype) -> tuple[Any, Any]:
    import triton.language as tl

    storage = {torch.float32: tl.float32, torch.float64: tl.float64,
               torch.float16: tl.float16, torch.bfloat16: tl.bfloat16}[dtype]
    return storage, (tl.float64 if dtype == torch.float64 else tl.float32)


def _dense(t: Tensor) -> bool:
    """Whether ``t``'s elements fill its memory exactly once, in some order of its dims."""
    expected = 1
    for size, stride in sorted((d for d in zip(t.shape, t.stride()) if d[0] != 1),
                               key=lambda d: d[1]):
        if stride != expected:
            return False
        expected *= size
    return True


def _takes(t: Tensor, p: Tensor) -> bool:
    return (t.dtype == p.dtype and t.device == p.device and t.shape == p.shape
            and t.stride() == p.stride())


def _batches(params: list[Tensor], tensor_lists: list[list[Tensor]]
             ) -> tuple[dict[torch.dtype, list[int]], list[int]]:
    """Indices by dtype of the tensors a launch can take (dense, one layout), and the rest."""
    by_dtype: dict[torch.dtype, list[int]] = {}
    rest = []
    for i, p in enumerate(params):
        fit = (p.dtype in DTYPES and p.layout == torch.strided and p.numel() > 0
               and _dense(p)
               and all(_takes(ts[i], p) for ts in tensor_lists)
               # blocks run in parallel: a grad overlapping its param is left to torch's ops
               and not partially_overlap(p, tensor_lists[0][i]))
        if fit:
            by_dtype.setdefault(p.dtype, []).append(i)
        else:
            rest.append(i)
    return by_dtype, rest


def _tables(members: list[int], tensor_lists: list[list[Tensor]], device: torch.device
            ) -> tuple[list[Tensor], Tensor, Tensor, Tensor, int]:
    """Pointer tables (one per list), sizes, and each program's (tensor, start) pair."""
    sizes = [tensor_lists[0][i].numel() for i in members]
    blocks = [(n + BLOCK - 1) // BLOCK for n in sizes]
    block_tensor = torch.repeat_interleave(torch.arange(len(members)), torch.tensor(blocks))
    starts = torch.cat([torch.arange(b) * BLOCK for b in blocks])
    tables = [torch.tensor([ts[i].data_ptr() for i in members], dtype=torch.int64, device=device)
              for ts in tensor_lists]
    return (tables, torch.tensor(sizes, dtype=torch.int64, device=device),
            block_tensor.to(device), starts.to(device), int(sum(blocks)))


def _bump(steps: list[Tensor] | None, indices: list[int]) -> None:
    if steps is not None and indices:
        torch._foreach_add_([steps[i] for i in indices], 1)


def rmsprop_lists(params: list[Tensor], grads: list[Tensor], state: dict[str, list[Tensor]],
                  steps: list[Tensor] | None, options: RMSpropOptions) -> list[int]:
    """RMSprop on tensor lists in place, one launch per dtype; returns the indices not taken."""
    kernel = _kernels()[0]
    square = state["square_avg"]
    grad_avg = state["grad_avg"] if options.centered else square
    momentum = state["momentum_buffer"] if options.uses_momentum else square
    by_dtype, rest = _batches(params, [grads, square, grad_avg, momentum])
    wd = float(options.weight_decay)
    alpha = float(options.alpha)
    for dtype, members in by_dtype.items():
        _bump(steps, members)
        tables, sizes, block_tensor, starts, n_blocks = _tables(
            members, [params, grads, square, grad_avg, momentum], params[members[0]].device)
        storage, compute = _triton_dtypes(dtype)
        kernel[(n_blocks,)](
            *tables, sizes, block_tensor, starts, -1.0 if options.maximize else 1.0,
            float(options.lr), alpha, 1.0 - alpha, float(options.eps), wd,
            float(options.momentum), DTYPE=storage, COMPUTE=compute, F64=dtype == torch.float64,
            WD=0 if wd == 0 else (2 if options.decoupled_weight_decay else 1),
            CENTERED=bool(options.centered),
            MOM=0 if not options.uses_momentum else (2 if options.lr_in_momentum else 1),
            EPS_IN_SQRT=bool(options.eps_in_sqrt), BLOCK_SIZE=BLOCK,
        )
    return rest


def rprop_lists(params: list[Tensor], grads: list[Tensor], state: dict[str, list[Tensor]],
                steps: list[Tensor] | None, options: RpropOptions) -> list[int]:
    """Rprop on tensor lists in place, one launch per dtype; returns the indices not taken."""
    kernel = _kernels()[1]
    prev, step_size = state["prev"], state["step_size"]
    by_dtype, rest = _batches(params, [grads, prev, step_size])
    etaminus, etaplus = options.etas
    lo, hi = options.step_sizes
    wd = float(options.weight_decay)
    for dtype, members in by_dtype.items():
        _bump(steps, members)
        tables, sizes, block_tensor, starts, n_blocks = _tables(
            members, [params, grads, prev, step_size], params[members[0]].device)
        storage, compute = _triton_dtypes(dtype)
        # torch rounds the etas to the param dtype before it compares factors with etaminus
        eta_minus, eta_plus = (float(torch.tensor(float(e), dtype=dtype)) for e in (etaminus, etaplus))
        kernel[(n_blocks,)](
            *tables, sizes, block_tensor, starts, -1.0 if options.maximize else 1.0,
            eta_minus, eta_plus, float(lo), float(hi), wd, DTYPE=storage,
            COMPUTE=compute, WD=wd != 0, BLOCK_SIZE=BLOCK,
        )
    return rest
