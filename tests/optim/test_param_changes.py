"""Params and grads the user changes between steps: the fused optimizers do what torch does."""

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
def test_params_and_grads_are_never_moved(fused_cls, torch_cls):
    params = make_params([torch.float32, torch.float64])
    storages = [p.untyped_storage().data_ptr() for p in params]
    opt = fused_cls(params)
    opt.zero_grad()
    quadratic_loss(params).backward()
    grads = [p.grad for p in params]
    opt.step()
    opt.step()
    assert [p.untyped_storage().data_ptr() for p in params] == storages
    assert all(p.grad is g for p, g in zip(params, grads))


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


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_square_param_transposed_in_place_of_its_data(exact_sqrt, fused_cls, torch_cls):
    """``w.data = w.data.t()`` keeps the storage (and data_ptr) but not the layout."""
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(4, 4))
    r = torch.nn.Parameter(w.detach().clone())
    target = torch.randn(4, 4)
    opts = [fused_cls([w]), torch_cls([r])]
    for p, opt in ((w, opts[0]), (r, opts[1])):
        for step in range(6):
            if step == 2:
                p.data = p.data.t()
            opt.zero_grad()
            ((p - target) ** 2 * torch.arange(16.0).view(4, 4)).sum().backward()
            opt.step()
    assert torch.equal(w, r)
    for key, value in opts[1].state[r].items():
        assert torch.equal(opts[0].state[w][key], value), key


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_module_dtype_change_behaves_as_torch(exact_sqrt, fused_cls, torch_cls):
    torch.manual_seed(0)
    models = [torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1))
              for _ in range(2)]
    models[1].load_state_dict(models[0].state_dict())
    opts = [fused_cls(models[0].parameters()), torch_cls(models[1].parameters())]
    x = torch.randn(16, 4)
    for model, opt in zip(models, opts):
        for step in range(6):
            if step == 3:
                model.double()  # every param re-allocated; torch keeps the float32 state
            opt.zero_grad()
            model(x.to(next(model.parameters()).dtype)).pow(2).mean().backward()
            opt.step()
    for p, r in zip(models[0].parameters(), models[1].parameters()):
        assert p.dtype == torch.float64
        assert torch.equal(p, r)
        for key, value in opts[1].state[r].items():
            assert opts[0].state[p][key].dtype == value.dtype
            assert torch.equal(opts[0].state[p][key], value), key


@pytest.mark.parametrize("fused_cls,torch_cls", PAIRS)
def test_shape_change_raises_as_torch(fused_cls, torch_cls):
    errors = []
    for cls in (fused_cls, torch_cls):
        params = make_params([torch.float32])
        opt = cls(params)
        train(opt, params, 2)
        params[0].data = torch.zeros(9)
        params[0].grad = torch.ones(9)
        with pytest.raises(RuntimeError) as info:
            opt.step()
        errors.append(str(info.value))
    assert errors[0] == errors[1]
