"""Fused kernels against the rule functions, the torch-ops fallbacks against each other, and
the kernels' allow-lists of options."""

from __future__ import annotations

import dataclasses
import itertools
import os
import subprocess
import sys

import pytest
import torch

from optbridge.engine import RMSPROP, RPROP, Rule, apply_rule, rmsprop_, rprop_
from optbridge.engine.kernels import available_kernels, cpu, find_kernel, kernels_for

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
            for b in rule.buffers(rule.make_options(options))}


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
    assert find_kernel("rmsprop", "cpu", RMSPROP.make_options(options)) is None
    (w, _), (w2, _), paths = run_both(RMSPROP, options, torch.float32)
    assert paths == {"torch-ops"}
    assert torch.equal(w, w2)


@needs_cpu_kernel
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cpu_rmsprop_kernel_half_types_compute_in_float32(dtype):
    """The kernel rounds once per stored value: it matches the rule run in float32 on the
    same values to within one rounding of the half type (torch's ops round after each op)."""
    options = {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "momentum": 0.9, "centered": True,
               "weight_decay": 0.1}
    n = 3000
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(n, generator=gen).to(dtype)
    g = torch.randn(n, generator=gen).to(dtype)
    state = {k: v.to(dtype) for k, v in state_for(RMSPROP, options, n, torch.float32).items()}
    w32, g32 = w.float(), g.float()
    state32 = {k: v.float() for k, v in state.items()}
    assert apply_rule(RMSPROP, w, g, state, options) == "cpu-rmsprop"
    RMSPROP.update(w32, g32, state32, **options)
    ulp = {torch.float16: 2.0 ** -10, torch.bfloat16: 2.0 ** -7}[dtype]
    torch.testing.assert_close(w.float(), w32.to(dtype).float(), rtol=ulp, atol=ulp * 1e-2)
    for key, value in state.items():
        torch.testing.assert_close(value.float(), state32[key].to(dtype).float(),
                                   rtol=ulp, atol=ulp * 1e-2)


@needs_cpu_kernel
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cpu_rprop_kernel_half_types_round_where_torch_does(dtype):
    """Rprop's kernel rounds to the half type exactly where torch's ops store a result:
    bit-identical to the rule's torch ops in that dtype."""
    (w, s), (w2, s2), paths = run_both(RPROP, {"lr": 0.01, "etas": (0.4, 1.3),
                                               "step_sizes": (1e-3, 0.05)}, dtype, steps=8)
    assert paths == {"cpu-rprop"}
    assert torch.equal(w, w2)
    for key in s:
        assert torch.equal(s[key], s2[key]), key


@dataclasses.dataclass(frozen=True)
class RMSpropWithFakeFlag(RMSPROP.options):
    fake_flag: bool = False


@dataclasses.dataclass(frozen=True)
class RpropWithFakeFlag(RPROP.options):
    fake_flag: bool = False


def _fake_rmsprop_(param, grad, state, *, fake_flag=False, **options):
    rmsprop_(param, grad, state, **options)
    if fake_flag:
        param.mul_(0.5)  # what a kernel that ignored the flag would miss


def _fake_rprop_(param, grad, state, *, fake_flag=False, **options):
    rprop_(param, grad, state, **options)
    if fake_flag:
        param.mul_(0.5)


FAKE_RULES = [
    (Rule("rmsprop", _fake_rmsprop_, state=RMSPROP.state, options=RMSpropWithFakeFlag),
     {"lr": 0.01, "alpha": 0.9, "eps": 1e-3}),
    (Rule("rprop", _fake_rprop_, state=RPROP.state, options=RpropWithFakeFlag), {"lr": 0.01}),
]


@pytest.mark.parametrize("device_type", ["cpu", "cuda"])
@pytest.mark.parametrize("rule,options", FAKE_RULES, ids=["rmsprop", "rprop"])
def test_every_kernel_refuses_an_option_it_does_not_implement(device_type, rule, options):
    """A flag added to a rule later is not in any kernel's allow-list: each kernel refuses it
    (whether or not it can run here), and accepts the same options with the flag at its
    default."""
    kernel = kernels_for(device_type)[rule.name]
    assert not kernel.supports(rule.make_options({**options, "fake_flag": True}))
    assert kernel.supports(rule.make_options(options))


@needs_cpu_kernel
@pytest.mark.parametrize("rule,options", FAKE_RULES, ids=["rmsprop", "rprop"])
def test_a_new_flag_takes_the_rules_own_ops(rule, options):
    w = torch.randn(100)
    state = {b.name: torch.full_like(w, 0.5) for b in rule.buffers(rule.make_options(options))}
    with_flag = {**options, "fake_flag": True}
    assert apply_rule(rule, w, torch.ones(100), state, with_flag) == "torch-ops"
    assert apply_rule(rule, w, torch.ones(100), state, options) == f"cpu-{rule.name}"


def test_unknown_option_names_the_rule_and_the_key():
    with pytest.raises(TypeError, match="rule 'rmsprop' has no option.*bogus"):
        RMSPROP.make_options({"lr": 0.1, "alpha": 0.9, "eps": 1e-8, "bogus": 1})


def test_a_missing_buffer_is_refused_at_the_boundary():
    w = torch.zeros(4)
    with pytest.raises(ValueError, match="needs the state buffer 'momentum_buffer'"):
        apply_rule(RMSPROP, w, torch.ones(4), {"square_avg": torch.zeros(4)},
                   {"lr": 0.1, "alpha": 0.9, "eps": 1e-8, "momentum": 0.9})


def test_nan_momentum_means_no_momentum_buffer_as_torch():
    options = RMSPROP.make_options({"lr": 0.1, "alpha": 0.9, "eps": 1e-8,
                                    "momentum": float("nan")})
    assert [b.name for b in RMSPROP.buffers(options)] == ["square_avg"]


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


@needs_cpu_kernel
def test_layouts_the_kernel_takes_and_those_it_leaves_to_torch_ops():
    def rprop_path(w, g, state):
        expected = {k: v.clone() for k, v in state.items()}
        w2 = w.clone()
        path = apply_rule(RPROP, w, g, state, {"lr": 0.01})
        RPROP.update(w2, g, expected, lr=0.01)
        assert torch.equal(w, w2)
        return path

    def fresh(like):
        return {"prev": torch.zeros_like(like), "step_size": torch.full_like(like, 0.01)}

    # dense in another dim order, the same for every tensor: memory order, the kernel
    t = torch.randn(8, 6).t()
    assert rprop_path(t, torch.randn(8, 6).t(), fresh(t)) == "cpu-rprop"
    # every other element: not dense
    w = torch.randn(16)[::2]
    assert rprop_path(w, torch.randn(8), fresh(torch.zeros(8))) == "torch-ops"
    # dense but laid out differently from its grad (p.data = p.data.t() on a square param)
    sq = torch.randn(5, 5).t()
    assert rprop_path(sq, torch.randn(5, 5), fresh(torch.zeros(5, 5))) == "torch-ops"


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


@pytest.mark.parametrize("value,expected", [("1", 1), ("100000", os.cpu_count()), ("", None)])
def test_thread_count_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(cpu.THREADS_VARIABLE, value)
    assert cpu.threads() == (torch.get_num_threads() if expected is None else expected)


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5"])
def test_bad_thread_count_names_the_variable(monkeypatch, value):
    monkeypatch.setenv(cpu.THREADS_VARIABLE, value)
    with pytest.raises(ValueError, match=f"OPTBRIDGE_CPU_THREADS={value!r}: expected a positive"):
        cpu.threads()
