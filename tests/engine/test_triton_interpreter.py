"""The Triton kernels under Triton's interpreter (``TRITON_INTERPRET=1``) on CPU tensors: parity
with the rule functions for every option and dtype, no GPU needed. On a machine with CUDA the
same kernels are compiled instead (tests/engine/test_cuda.py)."""

from __future__ import annotations

import itertools

import pytest
import torch

from optbridge.engine import RMSPROP, RPROP
from optbridge.engine.kernels import cuda_triton
from optbridge.engine.rules import as_kwargs

pytestmark = pytest.mark.skipif(not cuda_triton.triton_importable(),
                                reason="triton is not installed (it is in the test extras)")

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
SIZES = (1, 7, 1030, 3000)  # one element, a ragged block, several blocks of BLOCK = 1024
RMSPROP_FLAGS = [dict(zip(("weight_decay", "decoupled_weight_decay", "momentum",
                           "lr_in_momentum", "centered", "eps_in_sqrt", "maximize"), values))
                 for values in itertools.product((0.0, 0.1), (False, True), (0.0, 0.9),
                                                 (False, True), (False, True), (False, True),
                                                 (False, True))]
RPROP_OPTIONS = [{}, {"maximize": True}, {"etas": (0.3, 1.7), "step_sizes": (0.02, 0.04)},
                 {"step_sizes": (0.5, 0.1)}, {"weight_decay": 0.2}]


@pytest.fixture(autouse=True)
def interpreter(monkeypatch):
    """Kernels built for the interpreter in this test only (they are cached per process)."""
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    cuda_triton._kernels.cache_clear()
    yield
    cuda_triton._kernels.cache_clear()


def problem(rule, options, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    params = [torch.randn(n, generator=gen).to(dtype) for n in SIZES]
    grads = [torch.randn(n, generator=gen).to(dtype) for n in SIZES]
    init = {"square_avg": (0.5, 1.0), "grad_avg": (0.0, 0.1), "momentum_buffer": (-0.5, 1.0),
            "prev": (-0.5, 1.0), "step_size": (0.01, 0.02)}
    state = {b.name: [(torch.rand(n, generator=gen) * init[b.name][1]
                       + init[b.name][0]).to(dtype) for n in SIZES]
             for b in rule.buffers(options)}
    return params, grads, state


def run_kernel_and_rule(rule, run_lists, options, dtype):
    params, grads, state = problem(rule, options, dtype)
    # the reference: the rule's torch ops, in float32 for the half types (the kernel computes
    # in float32 and rounds once), in the dtype otherwise
    compute = torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype
    ref_params = [p.to(compute) for p in params]
    ref_state = {k: [t.to(compute) for t in v] for k, v in state.items()}
    steps = [torch.zeros(()) for _ in params]
    assert run_lists(params, grads, state, steps, options) == []
    assert all(float(s) == 1.0 for s in steps)
    for i, g in enumerate(grads):
        rule.update(ref_params[i], g.to(compute), {k: v[i] for k, v in ref_state.items()},
                    **as_kwargs(options))
    return params, state, [p.to(dtype) for p in ref_params], {
        k: [t.to(dtype) for t in v] for k, v in ref_state.items()}


def tolerance(dtype):
    return {torch.float32: {"rtol": 1e-5, "atol": 1e-6},
            torch.float64: {"rtol": 1e-12, "atol": 1e-13},
            torch.float16: {"rtol": 2**-10, "atol": 2**-12},
            torch.bfloat16: {"rtol": 2**-7, "atol": 2**-9}}[dtype]


def flag_cases():
    """Every combination in float32; every fourth one in the other dtypes (interpreter time:
    each still sees every flag on and off)."""
    for dtype in DTYPES:
        for i, flags in enumerate(RMSPROP_FLAGS):
            if dtype == torch.float32 or (i + i // 4 + i // 16 + i // 64) % 4 == DTYPES.index(dtype):
                name = "-".join(k for k, v in flags.items() if v) or "plain"
                yield pytest.param(flags, dtype, id=f"{name}-{dtype}")


@pytest.mark.parametrize("flags,dtype", list(flag_cases()))
def test_triton_rmsprop_matches_the_rule(flags, dtype):
    options = RMSPROP.make_options({"lr": 0.01, "alpha": 0.9, "eps": 1e-3, **flags})
    params, state, ref_params, ref_state = run_kernel_and_rule(
        RMSPROP, cuda_triton.rmsprop_lists, options, dtype)
    for p, r in zip(params, ref_params):
        torch.testing.assert_close(p, r, **tolerance(dtype))
    for key, values in state.items():
        for t, r in zip(values, ref_state[key]):
            torch.testing.assert_close(t, r, **tolerance(dtype), msg=key)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("options", RPROP_OPTIONS, ids=str)
def test_triton_rprop_matches_the_rule(options, dtype):
    typed = RPROP.make_options({"lr": 0.01, **options})
    params, state, ref_params, ref_state = run_kernel_and_rule(
        RPROP, cuda_triton.rprop_lists, typed, dtype)
    # without weight decay every operation of Rprop is exact or rounds once: bit for bit
    exact = dtype in (torch.float32, torch.float64) and not options.get("weight_decay")
    tol = {"rtol": 0.0, "atol": 0.0} if exact else tolerance(dtype)
    for p, r in zip(params, ref_params):
        torch.testing.assert_close(p, r, **tol)
    for key, values in state.items():
        for t, r in zip(values, ref_state[key]):
            torch.testing.assert_close(t, r, **tol, msg=key)


def test_triton_rprop_nan_and_inf_as_torch():
    w = torch.nn.Parameter(torch.tensor([1.0, 1.0, float("nan"), 1.0]))
    grads = [torch.tensor([float("nan"), float("inf"), 1.0, 1.0]),
             torch.tensor([1.0, -1.0, 1.0, -float("inf")])]
    ref = torch.optim.Rprop([w], foreach=False, step_sizes=(1e-6, float("nan")))
    ours = [w.detach().clone()]
    state = {"prev": [torch.zeros(4)], "step_size": [torch.full((4,), 0.01)]}
    options = RPROP.make_options({"lr": 0.01, "step_sizes": (1e-6, float("nan"))})
    for g in grads:
        w.grad = g
        ref.step()
        assert cuda_triton.rprop_lists(ours, [g], state, None, options) == []
        torch.testing.assert_close(ours[0], w.detach(), rtol=0, atol=0, equal_nan=True)
        torch.testing.assert_close(state["step_size"][0], ref.state[w]["step_size"], rtol=0,
                                   atol=0, equal_nan=True)


def test_triton_leaves_what_it_cannot_take():
    """Non-dense params and mismatched layouts come back to the caller, untouched."""
    dense = torch.randn(6)
    strided = torch.randn(12)[::2]
    before = strided.clone()
    state = {"prev": [torch.zeros(6), torch.zeros(6)],
             "step_size": [torch.full((6,), 0.01), torch.full((6,), 0.01)]}
    rest = cuda_triton.rprop_lists([dense, strided], [torch.ones(6), torch.ones(6)], state, None,
                                   RPROP.make_options({"lr": 0.01}))
    assert rest == [1]
    assert torch.equal(strided, before)
