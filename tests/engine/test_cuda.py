"""CUDA: the Triton kernels against torch.optim (skipped without a GPU)."""

from __future__ import annotations

import pytest
import torch

from optbridge.engine.kernels import cuda_triton
from optbridge.optim import FusedRMSprop, FusedRprop

pytestmark = pytest.mark.skipif(not cuda_triton.available(),
                                reason="needs a CUDA GPU with Triton")


def problem(dtype):
    gen = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(s, generator=gen).to("cuda", dtype))
              for s in [(1000,), (33, 7), (), (4096,)]]
    targets = [torch.randn(p.shape, generator=gen).to("cuda", dtype) for p in params]
    return params, targets


@pytest.mark.parametrize("fused_cls,torch_cls,kw", [
    (FusedRMSprop, torch.optim.RMSprop, {"momentum": 0.9, "centered": True, "weight_decay": 0.1}),
    (FusedRMSprop, torch.optim.RMSprop, {"maximize": True}),
    (FusedRprop, torch.optim.Rprop, {"etas": (0.4, 1.3)}),
])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_cuda_matches_torch(fused_cls, torch_cls, kw, dtype):
    params, targets = problem(dtype)
    ref = [torch.nn.Parameter(p.detach().clone()) for p in params]
    opts = [fused_cls(params, **kw), torch_cls(ref, foreach=False, **kw)]
    for _ in range(20):
        for ps, opt in zip((params, ref), opts):
            opt.zero_grad()
            sum(((p - t).float() ** 2).sum() for p, t in zip(ps, targets)).backward()
            opt.step()
    # nvcc contracts multiply-adds differently from Triton: within float rounding, not exact
    tol = {torch.float32: 1e-4, torch.float64: 1e-10}.get(dtype, 2e-2)
    for p, r in zip(params, ref):
        torch.testing.assert_close(p, r, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_cuda_kernel_is_used_for_every_float_dtype(dtype):
    from optbridge.engine import RMSPROP, apply_rule

    w = torch.randn(5000, device="cuda", dtype=dtype)
    g = torch.randn_like(w)
    state = {"square_avg": torch.zeros_like(w)}
    opts = {"lr": 0.01, "alpha": 0.99, "eps": 1e-8}
    w2, state2 = w.clone(), {"square_avg": torch.zeros_like(w)}
    assert apply_rule(RMSPROP, w, g, state, opts) == "triton-rmsprop"
    RMSPROP.update(w2, g, state2, **opts)
    tol = {torch.float32: 1e-6, torch.float64: 1e-12}.get(dtype, 1e-2)
    torch.testing.assert_close(w, w2, rtol=tol, atol=tol)
