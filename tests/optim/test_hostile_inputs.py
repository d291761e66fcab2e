"""Hostile input to the fused optimizers (issue 15, items 1, 2, 5 and 7): no crash, torch's
exact behaviour, checked by running torch.optim side by side. Crash cases run in a subprocess
and assert its exit code."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import warnings

import pytest
import torch

from optbridge.engine import RMSPROP, RPROP, apply_rule
from optbridge.engine.kernels import cpu
from optbridge.optim import FusedRMSprop, FusedRprop

PAIRS = [(FusedRMSprop, torch.optim.RMSprop), (FusedRprop, torch.optim.Rprop)]
NAN, INF = float("nan"), float("inf")


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env={**os.environ, **env},
                          capture_output=True, text=True, check=False, timeout=300)


def assert_bitwise(a: torch.Tensor, b: torch.Tensor) -> None:
    torch.testing.assert_close(a, b, rtol=0, atol=0, equal_nan=True)


# ------------------------------------------------------------------------ 1: NaN momentum
NAN_MOMENTUM = """
import torch
from optbridge.optim import FusedRMSprop
from optbridge.compat.torch_npu import NpuFusedRMSprop
for cls in (FusedRMSprop, NpuFusedRMSprop, torch.optim.RMSprop):
    w = torch.nn.Parameter(torch.ones(3))
    o = cls([w])
    o.param_groups[0]["momentum"] = float("nan")
    w.grad = torch.ones(3)
    o.step(); o.step()
    print(cls.__name__, w.tolist(), sorted(o.state[w]))
"""


def test_nan_momentum_is_no_momentum_as_torch_and_does_not_crash():
    done = run_python(NAN_MOMENTUM)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    results = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in lines}
    assert results["FusedRMSprop"] == results["RMSprop"]
    assert "'momentum_buffer'" not in results["RMSprop"]
    assert results["NpuFusedRMSprop"] == results["RMSprop"]


def test_nan_momentum_through_apply_rule_uses_no_buffer():
    w, ref = torch.ones(5), torch.ones(5)
    state, ref_state = {"square_avg": torch.zeros(5)}, {"square_avg": torch.zeros(5)}
    options = {"lr": 0.1, "alpha": 0.9, "eps": 1e-8, "momentum": NAN}
    apply_rule(RMSPROP, w, torch.ones(5), state, options)
    apply_rule(RMSPROP, ref, torch.ones(5), ref_state, options, allow_kernel=False)
    assert torch.equal(w, ref) and not w.isnan().any()


# --------------------------------------------------------------- 2: OPTBRIDGE_CPU_THREADS
STEP = """
import torch
from optbridge.optim import FusedRMSprop
w = torch.nn.Parameter(torch.ones(1 << 17))
o = FusedRMSprop([w])
w.grad = torch.ones_like(w)
o.step()
print(float(w.detach()[0]))
"""


def test_huge_thread_count_is_clamped_not_a_crash():
    done = run_python(STEP, OPTBRIDGE_CPU_THREADS="100000")
    assert done.returncode == 0, done.stderr
    assert abs(float(done.stdout) - 0.9) < 1e-6


@pytest.mark.parametrize("value", ["abc", "0"])
def test_bad_thread_count_is_a_clear_error_naming_the_variable(value):
    done = run_python(STEP, OPTBRIDGE_CPU_THREADS=value)
    assert done.returncode == 1, done.stderr  # a Python error, not a signal
    # EnvironmentVariableError is the ValueError every OPTBRIDGE_* variable is refused with.
    assert done.stderr.strip().splitlines()[-1] == (
        f"optbridge.environment.EnvironmentVariableError: OPTBRIDGE_CPU_THREADS={value!r}: "
        "expected a positive integer (the CPU kernel's thread count)")


# ------------------------------------------------------------- 5: Rprop with NaN and inf
RPROP_CASES = {
    "nan grad": ({}, [NAN, 1.0, 1.0], [1.0, 1.0, 1.0]),
    "inf grad": ({}, [INF, -INF, 1.0], [1.0, 1.0, 1.0]),
    "nan param": ({}, [1.0, -1.0, 0.0], [NAN, 1.0, 1.0]),
    "inf param": ({}, [1.0, -1.0, 0.0], [INF, -INF, 1.0]),
    "nan min step": ({"step_sizes": (NAN, 50.0)}, [1.0, -1.0, 0.0], [1.0, 1.0, 1.0]),
    "nan max step": ({"step_sizes": (1e-6, NAN)}, [1.0, -1.0, 0.0], [1.0, 1.0, 1.0]),
    "inf max step": ({"lr": INF, "step_sizes": (1e-6, INF)}, [1.0, -1.0, 0.0], [1.0, 1.0, 1.0]),
    "inf lr": ({"lr": INF}, [1.0, -1.0, 0.0], [1.0, 1.0, 1.0]),
}


def rprop_reference(kw, grad, param, dtype=torch.float32, steps=3):
    w = torch.nn.Parameter(torch.tensor(param, dtype=dtype))
    opt = torch.optim.Rprop([w], foreach=False, **kw)
    history = []
    for k in range(steps):
        w.grad = torch.tensor(grad, dtype=dtype) * (-1) ** k
        opt.step()
        history.append((w.detach().clone(), {k: v.clone() for k, v in opt.state[w].items()}))
    return history


@pytest.mark.parametrize("case", RPROP_CASES, ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rprop_nan_inf_bit_identical_on_the_kernel(case, dtype):
    kw, grad, param = RPROP_CASES[case]
    w = torch.nn.Parameter(torch.tensor(param, dtype=dtype))
    opt = FusedRprop([w], **kw)
    for k, (ref_w, ref_state) in enumerate(rprop_reference(kw, grad, param, dtype)):
        w.grad = torch.tensor(grad, dtype=dtype) * (-1) ** k
        opt.step()
        assert_bitwise(w.detach(), ref_w)
        for key in ("prev", "step_size"):
            assert_bitwise(opt.state[w][key], ref_state[key])


@pytest.mark.parametrize("case", RPROP_CASES, ids=str)
@pytest.mark.parametrize("path", ["kernel", "torch-ops", "torch-ops-chunked"])
def test_rprop_nan_inf_bit_identical_on_every_path(case, path):
    """The same values repeated past one chunk of the torch-ops path."""
    kw, grad, param = RPROP_CASES[case]
    reps = (1 << 16) // 3 + 2 if path == "torch-ops-chunked" else 1
    lr = kw.get("lr", 0.01)
    options = {"lr": lr, **{k: v for k, v in kw.items() if k != "lr"}}
    w = torch.tensor(param).repeat(reps)
    state = {"prev": torch.zeros_like(w), "step_size": torch.full_like(w, lr)}
    for k, (ref_w, ref_state) in enumerate(rprop_reference(kw, grad, param)):
        g = torch.tensor(grad).repeat(reps) * (-1) ** k
        taken = apply_rule(RPROP, w, g, state, options, allow_kernel=path == "kernel")
        assert taken == ("cpu-rprop" if path == "kernel" else path)
        assert_bitwise(w, ref_w.repeat(reps))
        assert_bitwise(state["step_size"], ref_state["step_size"].repeat(reps))
        assert_bitwise(state["prev"], ref_state["prev"].repeat(reps))


# -------------------------------------------------- 7: where we used to differ from torch
@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_integer_param_without_grad_is_accepted_as_torch(fused_cls, torch_cls):
    results = []
    for cls in (fused_cls, torch_cls):
        w = torch.nn.Parameter(torch.ones(3))
        counter = torch.nn.Parameter(torch.arange(3), requires_grad=False)
        opt = cls([w, counter])
        w.grad = torch.ones(3)
        opt.step()
        results.append((w.detach().clone(), counter.clone(), len(opt.state[counter])))
    assert torch.equal(results[0][0], results[1][0])
    assert torch.equal(results[0][1], results[1][1]) and results[0][2] == results[1][2] == 0


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_expanded_param_raises_as_torch(fused_cls, torch_cls):
    errors = []
    for cls in (fused_cls, torch_cls):
        w = torch.nn.Parameter(torch.ones(1).expand(3))
        opt = cls([w])
        w.grad = torch.ones(3)
        with pytest.raises(RuntimeError) as info:
            opt.step()
        errors.append(str(info.value))
    assert errors[0] == errors[1]
    assert "more than one element of the written-to tensor" in errors[0]


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_param_listed_twice_warns_and_updates_twice_as_torch(fused_cls, torch_cls):
    results = []
    for cls in (fused_cls, torch_cls):
        w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = cls([w, w])
        assert any("duplicate parameters" in str(c.message) for c in caught)
        for _ in range(3):
            w.grad = w.detach() * 2
            opt.step()
        results.append((w.detach().clone(), float(opt.state[w]["step"])))
    assert torch.equal(results[0][0], results[1][0])
    assert results[0][1] == results[1][1] == 6.0


def test_rprop_tensor_lr_requiring_grad_raises_torchs_type_error():
    errors = []
    for cls in (FusedRprop, torch.optim.Rprop):
        w = torch.nn.Parameter(torch.ones(3))
        opt = cls([w], lr=torch.tensor(0.1, requires_grad=True))
        w.grad = torch.ones(3)
        with pytest.raises(TypeError) as info:
            opt.step()
        errors.append(str(info.value))
    assert errors[0] == errors[1]


# ------------------------------------------------------- 5 of the task: torch's own paths
@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_load_state_dict_post_hook_storing_a_flag_in_state(fused_cls, torch_cls):
    """torch's test suite registers such a hook; a non-dict entry in ``optimizer.state``."""

    def hook(optimizer):
        optimizer.state["ran_load_state_dict_post_hook"] = True

    for cls in (fused_cls, torch_cls):
        w = torch.nn.Parameter(torch.ones(3))
        opt = cls([w])
        w.grad = torch.ones(3)
        opt.step()
        opt.register_load_state_dict_post_hook(hook)
        opt.load_state_dict(copy.deepcopy(opt.state_dict()))
        assert opt.state["ran_load_state_dict_post_hook"] is True
        opt.step()  # and the next step is not confused by it


@pytest.mark.parametrize("fused_cls,torch_cls,kw", [
    (FusedRMSprop, torch.optim.RMSprop, {"momentum": 0.9, "weight_decay": 0.1,
                                         "maximize": True}),
    (FusedRprop, torch.optim.Rprop, {"etas": (0.4, 1.3)}),
])
def test_differentiable_step_gives_torchs_gradients(fused_cls, torch_cls, kw):
    """Differentiate the updated param with respect to the param and the grad, as torch's
    differentiable tests do (one step, params that are not leaves)."""
    grads_seen = []
    for cls in (fused_cls, torch_cls):
        gen = torch.Generator().manual_seed(0)
        leaf = torch.randn(6, dtype=torch.float64, generator=gen, requires_grad=True)
        grad = torch.randn(6, dtype=torch.float64, generator=gen, requires_grad=True)
        p = leaf.clone()
        p.grad = grad
        opt = cls([p], differentiable=True, **kw)
        opt.step()  # one step: a second one overwrites state that torch's graph saved too
        (p * torch.arange(6.0, dtype=torch.float64)).sum().backward()
        grads_seen.append((p.detach().clone(), leaf.grad.clone(), grad.grad.clone()))
    for ours, theirs in zip(*grads_seen):
        torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.skipif(cpu.load() is None, reason="CPU kernel unavailable")
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_every_float_dtype_takes_the_cpu_kernel(dtype):
    w = torch.randn(100).to(dtype)
    state = {"square_avg": torch.zeros_like(w)}
    path = apply_rule(RMSPROP, w, torch.ones_like(w), state,
                      {"lr": 0.01, "alpha": 0.99, "eps": 1e-8})
    assert path == "cpu-rmsprop"
