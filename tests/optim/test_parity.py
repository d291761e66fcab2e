"""100-step parity of FusedRMSprop / FusedRprop with torch.optim (foreach=False).

Tolerances, and why:
- Rprop: every operation is exact or rounds once in the same order, and the kernel rounds
  float16/bfloat16 where torch's ops store a result -> bit for bit, all dtypes.
- RMSprop, float32/float64, CPU kernel in exact-sqrt mode (torch's own MKL sqrt) -> bit for bit.
- RMSprop, float32/float64, default kernel: the only difference is IEEE sqrt vs MKL's, at most
  one ulp of the denominator per element per step. Fed back through the gradient for 100
  steps this reaches ~1e-5 (fp32) / ~1e-14 (fp64) on O(1) params; we assert rtol = atol =
  1e-4 (fp32) and 1e-11 (fp64), about 10x headroom, still far below any real divergence.
- RMSprop, float16/bfloat16: the kernel computes in float32 and rounds once per stored value
  (as torch's fused optimizers), torch's for-loop rounds after every op (and loses digits in
  the centered variance ``v - g_avg**2``). We check each of 100 steps from identical state
  (lockstep) to within one ulp of the dtype relative and two ulps of 1 absolute (params are
  O(1)), so errors cannot hide by accumulating.
"""

from __future__ import annotations

import itertools

import pytest
import torch
from optim_problems import clone_params, make_params, quadratic_loss

from optbridge.optim import FusedRMSprop, FusedRprop

STEPS = 100
RMSPROP_OPTIONS = [
    {"momentum": m, "centered": c, "weight_decay": wd, "maximize": mx}
    for m, c, wd, mx in itertools.product((0.0, 0.9), (False, True), (0.0, 0.1), (False, True))
]
RPROP_OPTIONS = [
    {},
    {"maximize": True},
    {"etas": (0.3, 1.5), "step_sizes": (1e-3, 0.05)},
    {"lr": 60.0},  # first step clamps to the max step size
    {"lr": 0.05, "etas": (0.6, 1.1), "step_sizes": (0.01, 0.02), "maximize": True},
]


def run_pair(fused_cls, torch_cls, options, dtypes, groups=1, steps=STEPS, lockstep=False):
    """Train the same params with both optimizers; yield after each step for checks."""
    params = make_params(dtypes)
    ref = clone_params(params)

    def grouped(ps):
        if groups == 1:
            return ps
        return [{"params": ps[i::groups], "lr": 0.01 * (i + 1)} for i in range(groups)]

    fused = fused_cls(grouped(params), **options)
    torch_opt = torch_cls(grouped(ref), foreach=False, **options)
    for _ in range(steps):
        for ps, opt in ((params, fused), (ref, torch_opt)):
            opt.zero_grad()
            quadratic_loss(ps).backward()
            opt.step()
        yield params, ref, fused, torch_opt
        if lockstep:  # restart the next step from torch's exact state
            with torch.no_grad():
                for p, r in zip(params, ref):
                    p.copy_(r)
                    for key, value in torch_opt.state[r].items():
                        if key != "step":
                            fused.state[p][key].copy_(value)


def assert_equal_params(params, ref):
    for i, (p, r) in enumerate(zip(params, ref)):
        assert torch.equal(p, r), f"param {i} ({p.dtype}) differs: max {(p - r).abs().max()}"


@pytest.mark.parametrize("options", RMSPROP_OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rmsprop_bit_exact_with_exact_sqrt(exact_sqrt, options, dtype):
    for params, ref, _, _ in run_pair(FusedRMSprop, torch.optim.RMSprop, options, [dtype]):
        pass
    assert_equal_params(params, ref)


@pytest.mark.parametrize("options", RMSPROP_OPTIONS, ids=str)
@pytest.mark.parametrize("dtype,tol", [(torch.float32, 1e-4), (torch.float64, 1e-11)])
def test_rmsprop_default_kernel_within_sqrt_rounding(options, dtype, tol):
    for params, ref, _, _ in run_pair(FusedRMSprop, torch.optim.RMSprop, options, [dtype]):
        pass
    for p, r in zip(params, ref):
        torch.testing.assert_close(p, r, rtol=tol, atol=tol)


@pytest.mark.parametrize("options", RMSPROP_OPTIONS[::3], ids=str)
@pytest.mark.parametrize("dtype,rtol", [(torch.float16, 2**-10), (torch.bfloat16, 2**-7)])
def test_rmsprop_half_precision_each_step_within_one_ulp(options, dtype, rtol):
    for params, ref, _, _ in run_pair(FusedRMSprop, torch.optim.RMSprop, options, [dtype],
                                      lockstep=True):
        for p, r in zip(params, ref):
            torch.testing.assert_close(p, r, rtol=rtol, atol=rtol * 2)


@pytest.mark.parametrize("options", RPROP_OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_rprop_bit_exact(options, dtype):
    for params, ref, _, _ in run_pair(FusedRprop, torch.optim.Rprop, options, [dtype]):
        pass
    assert_equal_params(params, ref)


def test_rmsprop_mixed_dtypes_and_groups_bit_exact(exact_sqrt):
    options = {"momentum": 0.5, "centered": True, "weight_decay": 0.01}
    dtypes = [torch.float32, torch.float64, torch.float32]
    for params, ref, fused, _ in run_pair(FusedRMSprop, torch.optim.RMSprop, options, dtypes,
                                          groups=3):
        pass
    assert_equal_params(params, ref)
    assert {p.dtype for g in fused.param_groups for p in g["params"]} == set(dtypes)


def test_rprop_mixed_dtypes_and_groups_bit_exact():
    dtypes = [torch.float32, torch.float16, torch.float64, torch.bfloat16]
    for params, ref, _, _ in run_pair(FusedRprop, torch.optim.Rprop, {}, dtypes, groups=2):
        pass
    assert_equal_params(params, ref)


def test_state_matches_torch_after_training(exact_sqrt):
    options = {"momentum": 0.9, "centered": True}
    for _, _, fused, torch_opt in run_pair(FusedRMSprop, torch.optim.RMSprop, options,
                                           [torch.float32], steps=5):
        pass
    ours, theirs = fused.state_dict(), torch_opt.state_dict()
    assert ours["state"].keys() == theirs["state"].keys()
    for idx, state in theirs["state"].items():
        assert ours["state"][idx].keys() == state.keys()
        for key, value in state.items():
            assert torch.equal(ours["state"][idx][key], value), (idx, key)
            assert ours["state"][idx][key].dtype == value.dtype
