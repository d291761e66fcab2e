"""Fused kernels against the rule functions, and the generic fallbacks against each other."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest
import torch

from optbridge.engine import RMSPROP, RPROP, apply_rule
from optbridge.engine.kernels import available_kernels, cpu, find_kernel

needs_cpu_kernel = pytest.mark.skipif(cpu.load() is None,
                                      reason=f"CPU kernel unavailable: {cpu.load_error()}")

FLAGS = list(itertools.product((0.0, 0.1), (False, True), (0.0, 0.9), (False, True),
                               (False, True), (False, True), (False, True)))


def state_for(rule, options, n, dtype, seed=3):
    gen = torch.Generator().manual_seed(seed)
    # keep square_avg > grad_avg**2 so the centered root stays real (no NaN to compare)
    scale = {"prev": 1.0, "grad_avg": 0.1, "square_avg": 1.0}
    shift = {"square_avg": 0.5}
    return {b.name: torch.rand(n, generator=gen, dtype=dtype) * scale.get(b.name, 1.0)
            + shift.get(b.name, 0.0) - (0.5 if b.name == "prev" else 0.0)
            for b in rule.buffers(options)}


def run_both(rule, options, dtype, n=5000, steps=5):
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(n, generator=gen, dtype=dtype)
    grads = [torch.randn(n, generator=gen, dtype=dtype) for _ in range(3)]
    state = state_for(rule, options, n, dtype)
    w2, state2 = w.clone(), {k: v.clone() for k, v in state.items()}
    paths = set()
    for k in range(steps):
        paths.add(apply_rule(rule, w, grads[k % 3], state, options))
        rule.update(w2, grads[k % 3], state2, **options)
    return (w, state), (w2, state2), paths


@needs_cpu_kernel
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cpu_rmsprop_kernel_bit_exact_for_every_flag(exact_sqrt, dtype):
    for wd, dec, mom, lr_in, centered, eps_in, maximize in FLAGS:
        options = {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "weight_decay": wd,
                       "decoupled_weight_decay": dec, "momentum": mom, "lr_in_momentum": lr_in,
                       "centered": centered, "eps_in_sqrt": eps_in, "maximize": maximize}
        (w, s), (w2, s2), paths = run_both(RMSPROP, options, dtype)
        assert paths == {"cpu-rmsprop"}
        assert not w.isnan().any()
        assert torch.equal(w, w2), options
        for key in s:
            assert torch.equal(s[key], s2[key]), (options, key)


@needs_cpu_kernel
def test_cpu_rmsprop_kernel_ieee_sqrt_within_one_ulp():
    options = {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "momentum": 0.9, "centered": True}
    (w, s), (w2, s2), _ = run_both(RMSPROP, options, torch.float32, steps=1)
    torch.testing.assert_close(w, w2, rtol=0, atol=2e-7)  # |update| <= ~0.1: 1 ulp is ~1e-8
    assert torch.equal(s["square_avg"], s2["square_avg"])  # before the sqrt: exact


@needs_cpu_kernel
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("options", [
    {}, {"maximize": True}, {"weight_decay": 0.2},
    {"etas": (0.3, 1.7), "step_sizes": (0.2, 0.4)}, {"step_sizes": (0.5, 0.1)},
], ids=str)
def test_cpu_rprop_kernel_bit_exact(dtype, options):
    (w, s), (w2, s2), paths = run_both(RPROP, dict(lr=0.01, **options), dtype, steps=8)
    assert paths == {"cpu-rprop"}
    assert torch.equal(w, w2)
    for key in s:
        assert torch.equal(s[key], s2[key]), key


@needs_cpu_kernel
def test_options_a_kernel_lacks_fall_back_to_torch_ops():
    options = {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "momentum": 0.9, "lr_in_momentum": True,
                   "nesterov": True}
    assert find_kernel("rmsprop", "cpu", torch.float32, options) is None
    (w, _), (w2, _), paths = run_both(RMSPROP, options, torch.float32)
    assert paths == {"torch-ops"}
    assert torch.equal(w, w2)
    half = {"lr": 0.01, "alpha": 0.9, "eps": 1e-3}
    (w, _), (w2, _), paths = run_both(RMSPROP, half, torch.float16)
    assert paths == {"torch-ops"}
    assert torch.equal(w, w2)


@pytest.mark.parametrize("rule,options", [
    (RMSPROP, {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "momentum": 0.9, "centered": True}),
    (RPROP, {"lr": 0.01}),
])
def test_chunked_generic_path_equals_one_shot(rule, options):
    n = (1 << 16) * 3 + 17  # several chunks and a ragged end
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(n, generator=gen)
    g = torch.randn(n, generator=gen)
    state = state_for(rule, options, n, torch.float32)
    w2, state2 = w.clone(), {k: v.clone() for k, v in state.items()}
    assert apply_rule(rule, w, g, state, options, allow_kernel=False) == "torch-ops-chunked"
    rule.update(w2, g, state2, **options)
    assert torch.equal(w, w2)


def test_non_contiguous_tensors_use_torch_ops():
    w = torch.randn(8, 6).t()
    g = torch.randn(8, 6).t()
    state = {"prev": torch.zeros(8, 6).t(), "step_size": torch.full((8, 6), 0.01).t()}
    assert apply_rule(RPROP, w, g, state, {"lr": 0.01}) == "torch-ops"


def test_available_kernels_reports_cpu_and_cuda():
    report = available_kernels()
    assert set(report) == {"cpu", "cuda"}
    assert report["cuda"] == (torch.cuda.is_available() and report["cuda"])


def test_disabled_kernel_still_trains_correctly():
    code = (
        "import torch\n"
        "from optbridge.engine.kernels import cpu, available_kernels\n"
        "from optbridge.optim import FusedRMSprop\n"
        "assert available_kernels()['cpu'] is False, cpu.load_error()\n"
        "p = torch.nn.Parameter(torch.ones(3)); q = torch.nn.Parameter(torch.ones(3))\n"
        "a = FusedRMSprop([p], momentum=0.9); b = torch.optim.RMSprop([q], momentum=0.9)\n"
        "for o, t in ((a, p), (b, q)):\n"
        "    for _ in range(3):\n"
        "        o.zero_grad(); (t * torch.arange(3.0)).sum().backward(); o.step()\n"
        "assert torch.equal(p, q), (p, q)\n"
    )
    env = {**os.environ, "OPTBRIDGE_DISABLE_CPU_KERNEL": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=False,
                          timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def exact_sqrt():
    previous = cpu._exact_sqrt
    cpu.set_exact_sqrt(True)
    yield
    cpu.set_exact_sqrt(previous)
