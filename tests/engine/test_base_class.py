"""The engine as a compat author uses it: a subclass with its own rule options and state init,
and the functional FlatState + apply_rule path for facades that are not torch-like."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from optbridge.engine import RMSPROP, FlatBufferOptimizer, FlatState, apply_rule
from optbridge.engine.flat import index_runs, tensor_view


class OnesRMSProp(FlatBufferOptimizer):
    """MindSpore nn.RMSProp-like: accumulator from ones, eps inside, lr inside momentum."""

    rule = RMSPROP
    display_name = "OnesRMSProp"

    def __init__(self, params: Any, learning_rate: float = 0.1, decay: float = 0.9,
                 momentum: float = 0.0, epsilon: float = 1e-10) -> None:
        if not isinstance(decay, float):
            raise TypeError(f"decay must be a float, got {type(decay).__name__}")
        super().__init__(params, {"lr": learning_rate, "decay": decay, "momentum": momentum,
                                      "epsilon": epsilon})

    def validate_param_group(self, group: dict[str, Any]) -> None:
        if group["epsilon"] <= 0:
            raise ValueError(f"epsilon must be > 0, got {group['epsilon']}")

    def rule_options(self, group: dict[str, Any]) -> dict[str, Any]:
        return {"lr": group["lr"], "alpha": group["decay"], "eps": group["epsilon"],
                    "momentum": group["momentum"], "eps_in_sqrt": True, "lr_in_momentum": True}

    def state_init(self, group: dict[str, Any]) -> dict[str, Any]:
        return {"square_avg": "ones"}


def test_subclass_follows_its_own_formula():
    gen = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(s, generator=gen, dtype=torch.float64))
              for s in [(5,), (2, 3), ()]]
    start = [p.detach().clone() for p in params]
    targets = [torch.randn(p.shape, generator=gen, dtype=torch.float64) for p in params]
    opt = OnesRMSProp(params, learning_rate=0.05, momentum=0.5, epsilon=1e-6)
    ws = [w.clone() for w in start]
    vs = [torch.ones_like(w) for w in ws]
    bs = [torch.zeros_like(w) for w in ws]
    for _ in range(10):
        opt.zero_grad()
        sum(((p - t) ** 2).sum() for p, t in zip(params, targets)).backward()
        opt.step()
        for i, t in enumerate(targets):
            g = 2 * (ws[i] - t)
            vs[i] = 0.9 * vs[i] + 0.1 * g * g
            bs[i] = 0.5 * bs[i] + 0.05 * g / torch.sqrt(vs[i] + 1e-6)
            ws[i] = ws[i] - bs[i]
    for p, w in zip(params, ws):
        torch.testing.assert_close(p.detach(), w, rtol=1e-12, atol=1e-12)
    assert set(opt.state[params[0]]) == {"step", "square_avg", "momentum_buffer"}
    assert float(opt.state[params[0]]["step"]) == 10.0


def test_subclass_validation_errors_name_the_value():
    p = [torch.nn.Parameter(torch.zeros(2))]
    with pytest.raises(TypeError, match="decay must be a float, got int"):
        OnesRMSProp(p, decay=1)
    with pytest.raises(ValueError, match="epsilon must be > 0, got -1.0"):
        OnesRMSProp(p, epsilon=-1.0)


def test_flat_state_and_apply_rule_drive_a_functional_facade():
    tensors = [torch.randn(4), torch.randn(2, 2), torch.randn(())]
    options = {"lr": 0.1, "alpha": 0.9, "eps": 1e-8, "momentum": 0.9}
    fs = FlatState.create(RMSPROP, tensors, options, state_init={"square_avg": 0.5})
    assert set(fs.state) == {"square_avg", "momentum_buffer"}
    assert torch.equal(fs.state["square_avg"], torch.full((9,), 0.5))
    grads = [torch.ones_like(t) for t in tensors]
    fs.load_grads(grads)
    before = fs.param.clone()
    apply_rule(RMSPROP, fs.param, fs.grad, fs.state, options)
    ref_w = torch.cat([t.reshape(-1) for t in tensors])
    ref_state = {"square_avg": torch.full((9,), 0.5), "momentum_buffer": torch.zeros(9)}
    RMSPROP.update(ref_w, torch.ones(9), ref_state, **options)
    torch.testing.assert_close(fs.param, ref_w, rtol=1e-6, atol=1e-7)
    updates = [v - b for v, b in zip(fs.views("param"), fs.layout.views(before))]
    assert [u.shape for u in updates] == [t.shape for t in tensors]
    with pytest.raises(ValueError, match="tensor 1 is torch.float64"):
        FlatState.create(RMSPROP, [torch.zeros(2), torch.zeros(2, dtype=torch.float64)], options)


def test_index_runs_and_channels_last_views():
    assert index_runs([True, True, False, True, False, False, True]) == [(0, 2), (3, 4), (6, 7)]
    assert index_runs([]) == []
    like = torch.randn(2, 3, 4, 5).to(memory_format=torch.channels_last)
    flat = torch.arange(like.numel() + 7, dtype=torch.float32)
    view = tensor_view(flat, 7, like)
    assert view.stride() == like.stride()
    assert view.is_contiguous(memory_format=torch.channels_last)
    assert view.data_ptr() == flat[7:].data_ptr()


def test_channels_last_params_keep_their_layout():
    from optbridge.optim import FusedRprop

    conv = torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)
    opt = FusedRprop(conv.parameters())
    conv(torch.randn(2, 3, 8, 8).to(memory_format=torch.channels_last)).sum().backward()
    opt.step()
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
