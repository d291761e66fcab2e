"""optbridge.compat.torch_npu.NpuFusedRMSprop: PyTorch's RMSprop maths (torch_npu cannot be
installed here, so the reference is torch.optim.RMSprop, which torch_npu's code mirrors), plus
torch_npu's constructor, dtype rule and zero_grad."""

from __future__ import annotations

import inspect

import pytest
import torch

from optbridge.compat.torch_npu import NpuFusedRMSprop

CONFIGS = [
    {},
    {"momentum": 0.9},
    {"centered": True},
    {"centered": True, "momentum": 0.5, "weight_decay": 0.1},
    {"eps": 0.1, "alpha": 0.9},
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(c) or "defaults")
def test_matches_torch_rmsprop(config):
    torch.manual_seed(0)
    w0 = [torch.randn(5, 3), torch.randn(7)]
    ours = [w.clone().requires_grad_(True) for w in w0]
    ref = [w.clone().requires_grad_(True) for w in w0]
    opt = NpuFusedRMSprop(ours, lr=0.01, **config)
    ref_opt = torch.optim.RMSprop(ref, lr=0.01, foreach=False, **config)
    for _ in range(5):
        for params, o in ((ours, opt), (ref, ref_opt)):
            o.zero_grad()
            sum((p * p * p).sum() for p in params).backward()
            o.step()
    for a, b in zip(ours, ref):
        # same operations in the same order as torch.optim (the engine's promise), but a
        # compiled fused kernel may contract a*b+c into one rounding: allow a few ulps
        torch.testing.assert_close(a, b, rtol=8 * 2.0**-23, atol=1e-7)


def test_signature_and_defaults():
    sig = inspect.signature(NpuFusedRMSprop.__init__)
    assert [(p.name, p.default) for p in list(sig.parameters.values())[1:]] == [
        ("params", inspect.Parameter.empty), ("lr", 1e-2), ("alpha", 0.99), ("eps", 1e-8),
        ("weight_decay", 0), ("momentum", 0), ("centered", False)]


@pytest.mark.parametrize("arg", ["lr", "eps", "momentum", "weight_decay", "alpha"])
def test_negative_hyperparameters_raise_value_error(arg):
    with pytest.raises(ValueError, match="Invalid"):
        NpuFusedRMSprop([torch.zeros(2)], **{arg: -1.0})


def test_dtype_rule_is_checked_at_the_first_step():
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = NpuFusedRMSprop([w])  # accepted at construction, as torch_npu
    w.grad = torch.ones(2, dtype=torch.float64)
    with pytest.raises(TypeError, match="float32 or float16"):
        opt.step()


def test_dtype_rule_is_checked_at_the_first_zero_grad_too():
    """torch_npu's ``zero_grad()`` combines the parameters into flat buffers on its first call
    (``npu_fused_optim_base.py`` of torch_npu 2.13.0), which applies the same dtype rule."""
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = NpuFusedRMSprop([w])
    opt.zero_grad()  # no gradient yet: nothing to combine, nothing checked
    w.grad = torch.ones(2, dtype=torch.float64)
    with pytest.raises(TypeError, match="float32 or float16"):
        opt.zero_grad()


def test_float16_is_accepted():
    w = torch.ones(4, dtype=torch.float16, requires_grad=True)
    opt = NpuFusedRMSprop([w], lr=0.1)
    w.grad = torch.ones(4, dtype=torch.float16)
    opt.step()
    assert w.dtype == torch.float16 and bool((w < 1).all())


def test_zero_grad_keeps_buffers_and_refuses_set_to_none():
    w = torch.ones(3, requires_grad=True)
    opt = NpuFusedRMSprop([w])
    w.grad = torch.ones(3)
    opt.step()
    opt.zero_grad()  # default set_to_none=False, unlike torch.optim
    assert w.grad is not None and torch.equal(w.grad, torch.zeros(3))
    with pytest.raises(ValueError, match="set_to_none is not supported"):
        opt.zero_grad(set_to_none=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_runs_on_cuda():
    w = torch.ones(3, device="cuda", requires_grad=True)
    opt = NpuFusedRMSprop([w], lr=0.1)
    w.grad = torch.ones(3, device="cuda")
    opt.step()
    assert w.device.type == "cuda" and bool((w < 1).all())
