"""Params re-allocated after the optimizer flattened them are detected and handled."""

from __future__ import annotations

import pytest
import torch
from optim_problems import clone_params, make_params, quadratic_loss

from optbridge.optim import FusedRMSprop, FusedRprop

PAIRS = [(FusedRMSprop, torch.optim.RMSprop), (FusedRprop, torch.optim.Rprop)]


def train(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        quadratic_loss(params).backward()
        opt.step()


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_params_become_views_of_one_flat_buffer(fused_cls, torch_cls):
    params = make_params([torch.float32])
    opt = fused_cls(params)
    train(opt, params, 1)
    bucket = opt._flat[0].buckets[0]
    storage = bucket.param.untyped_storage().data_ptr()
    assert all(p.untyped_storage().data_ptr() == storage for p in params)
    assert bucket.param.numel() == sum(p.numel() for p in params)


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_data_assignment_is_picked_up(exact_sqrt, fused_cls, torch_cls):
    params = make_params([torch.float32])
    ref = clone_params(params)
    opts = [fused_cls(params), torch_cls(ref)]
    for ps, opt in zip((params, ref), opts):
        train(opt, ps, 3)
        ps[1].data = torch.full_like(ps[1], 0.25)  # re-allocated by the user
        train(opt, ps, 3)
    for p, r in zip(params, ref):
        assert torch.equal(p, r)
    # and it is back in the flat buffer, so the kernel keeps updating it
    bucket = opts[0]._flat[0].buckets[0]
    assert params[1].data_ptr() == bucket.param_views[1].data_ptr()


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_module_dtype_change_keeps_state(exact_sqrt, fused_cls, torch_cls):
    torch.manual_seed(0)
    models = [torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1))]
    models.append(torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(),
                                      torch.nn.Linear(6, 1)))
    models[1].load_state_dict(models[0].state_dict())
    opts = [fused_cls(models[0].parameters()), torch_cls(models[1].parameters())]
    x = torch.randn(16, 4)
    for model, opt in zip(models, opts):
        for step in range(6):
            if step == 3:
                model.double()  # every param re-allocated, as float64
                if opt is opts[1]:
                    # torch.optim would keep float32 state; ours follows the param's dtype.
                    # Give the reference the same state so both continue identically.
                    for state in opt.state.values():
                        for key in state:
                            if key != "step":
                                state[key] = state[key].double()
            opt.zero_grad()
            model(x.to(next(model.parameters()).dtype)).pow(2).mean().backward()
            opt.step()
    for p, r in zip(models[0].parameters(), models[1].parameters()):
        assert p.dtype == torch.float64
        assert torch.equal(p, r)
    for p, r in zip(models[0].parameters(), models[1].parameters()):
        for key, value in opts[1].state[r].items():
            assert torch.equal(opts[0].state[p][key], value), key


@pytest.mark.parametrize("fused_cls,_", PAIRS)
def test_shape_change_is_a_clear_error(fused_cls, _):
    params = make_params([torch.float32])
    opt = fused_cls(params)
    train(opt, params, 2)
    params[0].data = torch.zeros(9)
    params[0].grad = None
    with pytest.raises(RuntimeError, match=r"param 0 .* has shape \(9,\) but its state"):
        opt.step()
