"""The engine as a compat author uses it: a subclass with its own rule options and state init,
and the functional apply_rule path for facades that are not torch-like."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from optbridge.engine import RMSPROP, FusedOptimizer, apply_rule


class OnesRMSProp(FusedOptimizer):
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


def test_apply_rule_drives_a_functional_facade():
    w = torch.randn(9)
    options = {"lr": 0.1, "alpha": 0.9, "eps": 1e-8, "momentum": 0.9}
    state = {"square_avg": torch.full((9,), 0.5), "momentum_buffer": torch.zeros(9)}
    ref_w, ref_state = w.clone(), {k: v.clone() for k, v in state.items()}
    path = apply_rule(RMSPROP, w, torch.ones(9), state, options)
    assert path in {"cpu-rmsprop", "torch-ops"}
    RMSPROP.update(ref_w, torch.ones(9), ref_state, **options)
    torch.testing.assert_close(w, ref_w, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(state["momentum_buffer"], ref_state["momentum_buffer"])


def test_materialize_state_creates_torch_shaped_state_without_grads():
    params = [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(()))]
    opt = OnesRMSProp(params, momentum=0.5)
    opt.materialize_state()
    for p in params:
        state = opt.state[p]
        assert set(state) == {"step", "square_avg", "momentum_buffer"}
        assert torch.equal(state["square_avg"], torch.ones_like(p))
        assert state["step"].shape == () and state["step"].dtype == torch.float32
        assert p.grad is None


def test_channels_last_params_keep_their_layout_and_match_torch():
    from optbridge.optim import FusedRprop

    torch.manual_seed(0)
    convs = [torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last) for _ in range(2)]
    convs[1].load_state_dict(convs[0].state_dict())
    opts = [FusedRprop(convs[0].parameters()), torch.optim.Rprop(convs[1].parameters())]
    x = torch.randn(2, 3, 8, 8).to(memory_format=torch.channels_last)
    for conv, opt in zip(convs, opts):
        for _ in range(3):
            opt.zero_grad()
            conv(x).pow(2).sum().backward()
            opt.step()
    assert convs[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert opts[0].state[convs[0].weight]["prev"].is_contiguous(memory_format=torch.channels_last)
    for p, r in zip(convs[0].parameters(), convs[1].parameters()):
        assert torch.equal(p, r)
