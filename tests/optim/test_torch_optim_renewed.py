"""FusedRMSprop / FusedRprop against torch's classes for what torch's TestOptimRenewed checks.

State dicts (round trips both ways, older formats, named params, load/save hooks that store
flags in ``optimizer.state``), param groups added later, closures, optim_db's LR schedulers,
steps without grads, ``zero_grad`` both ways, deepcopy and pickle, ``maximize``, step hooks,
mixed dtypes and ``repr``: each compared with torch's class run on identical inputs.
"""

from __future__ import annotations

import copy
import io
import pickle
from typing import Any

import pytest
import torch
from optim_problems import errors_of_ours_fail_the_test
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch_db import (
    CASES,
    INFOS,
    NAMES,
    PLAIN_CASES,
    assert_same,
    assert_same_state,
    classes,
    kwargs_of,
    loss_of,
    make_params,
    run,
    set_grads,
    tolerance,
)

# --- state dicts and their hooks -----------------------------------------------------------------


def flag_after_load(optimizer: torch.optim.Optimizer) -> None:
    optimizer.state["ran_load_state_dict_post_hook"] = True


@pytest.mark.parametrize("name,index", CASES)
def test_load_state_dict_post_hook_may_store_a_flag_in_state(name, index):
    kwargs = kwargs_of(name, index)
    results = []
    for cls in classes(name):
        param = torch.rand(2, 3, requires_grad=True)
        opt = cls([param], **kwargs)
        opt.register_load_state_dict_post_hook(flag_after_load)
        opt.load_state_dict(opt.state_dict())
        assert opt.state["ran_load_state_dict_post_hook"] is True
        saved = opt.state_dict()  # the flag is packed as it is, as torch does
        assert saved["state"]["ran_load_state_dict_post_hook"] is True
        opt.load_state_dict(saved)  # and loads again
        results.append(({k: v for k, v in opt.state.items() if isinstance(k, str)},
                        opt.param_groups[0]["lr"]))
    assert results[0] == results[1]


def set_lr_in_place(optimizer, state_dict):
    state_dict["param_groups"][0]["lr"] = 0.002


def return_new_lr(optimizer, state_dict):
    new = copy.deepcopy(state_dict)
    new["param_groups"][0]["lr"] = 0.003
    return new


def record_lr(optimizer):
    optimizer.state["lr_after_load"] = optimizer.param_groups[0]["lr"]


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_hooks_run_like_torch(name):
    seen = []
    for cls in classes(name):
        params = make_params(torch.float32, differentiable=False)
        opt = run(cls, {}, params, steps=2)
        opt.register_state_dict_pre_hook(lambda o: o.state.__setitem__("pre", 1))
        opt.register_state_dict_post_hook(lambda o, sd: {**sd, "post": len(sd["state"])})
        saved = opt.state_dict()
        opt.register_load_state_dict_pre_hook(set_lr_in_place)
        opt.register_load_state_dict_pre_hook(return_new_lr, prepend=True)
        opt.register_load_state_dict_post_hook(record_lr)
        opt.load_state_dict({k: v for k, v in saved.items() if k != "post"})
        seen.append((saved["post"], saved["state"]["pre"], opt.state["lr_after_load"],
                     opt.param_groups[0]["lr"]))
    assert seen[0] == seen[1]


def roundtrip(state_dict: dict[str, Any]) -> dict[str, Any]:
    buffer = io.BytesIO()
    torch.save(state_dict, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@pytest.mark.parametrize("direction", ["torch_to_ours", "ours_to_torch"])
@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_state_dict_round_trip_with_torch(name, index, direction):
    ours_cls, torch_cls = classes(name)
    first, second = (torch_cls, ours_cls) if direction == "torch_to_ours" else (ours_cls,
                                                                                 torch_cls)
    kwargs = kwargs_of(name, index, plain=True)
    params = make_params(torch.float64, differentiable=False)
    opt = run(first, kwargs, params, steps=3)
    moved = [torch.nn.Parameter(p.detach().clone()) for p in params]
    continued = second(moved, **kwargs)
    continued.load_state_dict(roundtrip(opt.state_dict()))
    for step in range(3, 6):
        for ps, o in ((params, opt), (moved, continued)):
            set_grads(ps, seed=step)
            o.step()
    tol = tolerance(name, torch.float64)
    assert_same(moved, params, tol, f"{name} {kwargs} after the round trip")
    assert_same_state(continued, opt, tol, f"{name} {kwargs} state after the round trip")


@pytest.mark.parametrize("name", NAMES)
def test_loads_a_state_dict_from_before_the_newer_flags(name):
    """A state dict without ``not_og_supported_flags`` (older torch) loads and steps."""
    info = INFOS[name]
    results = []
    for cls in classes(name):
        params = make_params(torch.float64, differentiable=False)
        opt = run(cls, {}, params, steps=2)
        old = copy.deepcopy(opt.state_dict())
        for group in old["param_groups"]:
            for flag in info.not_og_supported_flags:
                group.pop(flag, None)
        for state in old["state"].values():
            state["step"] = float(state["step"])  # older torch kept a Python number
        fresh = cls(params)
        fresh.load_state_dict(old)
        set_grads(params, seed=9)
        fresh.step()
        results.append((params, fresh.state_dict()["param_groups"]))
    tol = tolerance(name, torch.float64)
    assert_same(results[0][0], results[1][0], tol, f"{name} after loading an old state dict")
    assert results[0][1] == results[1][1]


# --- groups, closures, schedulers, empty steps, zero_grad, copies, hooks ---------------------------


@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_param_group_added_later(name, index):
    kwargs = kwargs_of(name, index, plain=True)
    finals = []
    for cls in classes(name):
        params = make_params(torch.float64, differentiable=False)
        opt = cls(params[:2], **kwargs)
        for step in range(6):
            if step == 3:
                opt.add_param_group({"params": [params[2]], "lr": 0.003})
            set_grads(params, seed=step)
            opt.step()
        finals.append((params, opt))
    tol = tolerance(name, torch.float64)
    assert_same(finals[0][0], finals[1][0], tol, f"{name} {kwargs} with a group added later")
    assert_same_state(finals[0][1], finals[1][1], tol, f"{name} {kwargs}")


@pytest.mark.parametrize("name", NAMES)
def test_closure_is_called_once_and_its_loss_returned(name):
    results = []
    for cls in classes(name):
        params = make_params(torch.float64, differentiable=False)
        opt = cls(params)
        calls, losses = [0], []

        def closure(opt=opt, params=params, calls=calls):
            calls[0] += 1
            opt.zero_grad()
            loss = loss_of(params)
            loss.backward()
            return loss

        for _ in range(4):
            losses.append(opt.step(closure).item())
        results.append((params, losses, calls[0]))
    (ours, ours_losses, ours_calls), (theirs, their_losses, their_calls) = results
    assert ours_calls == their_calls == 4
    torch.testing.assert_close(ours_losses, their_losses, rtol=1e-12, atol=0)
    assert_same(ours, theirs, tolerance(name, torch.float64), f"{name} with a closure")


@pytest.mark.parametrize("name", NAMES)
def test_lr_schedulers_of_the_database(name):
    """Every ``scheduler_inputs`` entry of optim_db (StepLR, ReduceLROnPlateau) on top."""
    for constructors in INFOS[name].scheduler_inputs:
        finals = []
        for cls in classes(name):
            params = make_params(torch.float64, differentiable=False)
            opt = cls(params, lr=0.05)
            schedulers = [make(opt) for make in constructors]
            for step in range(25):
                opt.zero_grad()
                loss = loss_of(params)
                loss.backward()
                opt.step()
                for s in schedulers:  # a flat metric, so that ReduceLROnPlateau does reduce
                    s.step(1.0) if isinstance(s, ReduceLROnPlateau) else s.step()
            finals.append((params, opt.param_groups[0]["lr"]))
        assert finals[0][1] == finals[1][1] < 0.05  # the schedule did change the lr
        assert_same(finals[0][0], finals[1][0], tolerance(name, torch.float64),
                    f"{name} with {constructors}")


@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_step_without_grads_changes_nothing(name, index):
    kwargs = kwargs_of(name, index, plain=True)
    for cls in classes(name):
        params = make_params(torch.float32, differentiable=False)
        before = [p.detach().clone() for p in params]
        opt = cls(params, **kwargs)
        opt.step()
        assert all(torch.equal(p, b) for p, b in zip(params, before)), cls.__name__
        assert len(opt.state) == 0, f"{cls.__name__} made state for params without grads"
        assert all(p.grad is None for p in params)


@pytest.mark.parametrize("name", NAMES)
def test_params_without_grads_are_left_alone_beside_others(name):
    finals = []
    for cls in classes(name):
        params = make_params(torch.float64, differentiable=False)
        opt = cls(params)
        for step in range(3):
            set_grads(params, seed=step)
            params[1].grad = None
            opt.step()
        finals.append((params, opt))
    assert_same(finals[0][0], finals[1][0], tolerance(name, torch.float64), name)
    assert len(finals[0][1].state) == len(finals[1][1].state) == 2


@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("name", NAMES)
def test_zero_grad_like_torch(name, set_to_none):
    for cls in classes(name):
        params = make_params(torch.float32, differentiable=False)
        opt = run(cls, {}, params, steps=2)
        set_grads(params)
        grads = [p.grad for p in params]
        opt.step()
        opt.zero_grad(set_to_none=set_to_none)
        for i, (p, g) in enumerate(zip(params, grads)):
            if set_to_none:
                assert p.grad is None, f"{cls.__name__}: param {i}"
            else:
                assert p.grad is g, f"{cls.__name__}: param {i}'s grad was replaced"
                assert not p.grad.any() and not p.grad.requires_grad


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
@pytest.mark.parametrize("name", NAMES)
def test_copied_optimizer_continues_like_torch(name, how):
    finals = []
    for cls in classes(name):
        params = make_params(torch.float64, differentiable=False)
        opt = run(cls, {"maximize": False}, params, steps=2)
        if how == "deepcopy":
            params2, opt2 = copy.deepcopy((params, opt))
        else:
            params2, opt2 = pickle.loads(pickle.dumps((params, opt)))
        public = {k for k in vars(opt) if not k.startswith("_")}
        assert public == {k for k in vars(opt2) if not k.startswith("_")}
        for step in range(2, 5):
            set_grads(params2, seed=step)
            opt2.step()
        assert all(p.data_ptr() != q.data_ptr() for p, q in zip(params, params2))
        finals.append(params2)
    assert_same(finals[0], finals[1], tolerance(name, torch.float64), f"{name} after {how}")


@pytest.mark.parametrize("name", NAMES)
def test_maximize_climbs_like_torch(name):
    finals = []
    for cls in classes(name):
        params = make_params(torch.float64, differentiable=False)
        start = loss_of(params).item()
        opt = cls(params, maximize=True)
        for _ in range(5):
            opt.zero_grad()
            loss_of(params).backward()
            opt.step()
        assert loss_of(params).item() > start, cls.__name__
        finals.append(params)
    assert_same(finals[0], finals[1], tolerance(name, torch.float64), f"{name} maximize")


@pytest.mark.parametrize("name", NAMES)
def test_step_hooks_like_torch(name):
    logs = []
    for cls in classes(name):
        log = []
        params = make_params(torch.float32, differentiable=False)
        opt = cls(params)

        def pre(o, args, kwargs, log=log):
            log.append(("pre", args == (o,), kwargs))

        def post(o, args, kwargs, log=log):
            log.append(("post", args == (o,), kwargs, o.state[o.param_groups[0]["params"][0]]
                        ["step"].item()))

        global_pre = register_optimizer_step_pre_hook(
            lambda o, a, k, log=log: log.append(("global pre",)))
        handles = [opt.register_step_pre_hook(pre), opt.register_step_post_hook(post)]
        try:
            set_grads(params)
            opt.step()
            handles[0].remove()
            set_grads(params)
            opt.step()
        finally:
            global_pre.remove()
            for handle in handles:
                handle.remove()
        logs.append(log)
    assert logs[0] == logs[1]
    assert logs[1] == [("global pre",), ("pre", True, {}), ("post", True, {}, 1.0),
                       ("global pre",), ("post", True, {}, 2.0)]


@pytest.mark.parametrize("name", NAMES)
def test_mixed_dtypes_in_one_group(name):
    finals = []
    for cls in classes(name):
        params = (make_params(torch.float32, differentiable=False)
                  + make_params(torch.float64, differentiable=False, seed=3))
        run(cls, {}, params)
        finals.append(params)
    assert_same(finals[0][:3], finals[1][:3], tolerance(name, torch.float32), f"{name} fp32")
    assert_same(finals[0][3:], finals[1][3:], tolerance(name, torch.float64), f"{name} fp64")


@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_repr_like_torch(name, index):
    kwargs = kwargs_of(name, index, plain=True)
    ours_cls, torch_cls = classes(name)
    ours = repr(ours_cls(make_params(torch.float32, False), **kwargs))
    theirs = repr(torch_cls(make_params(torch.float32, False), **kwargs))
    assert ours.replace(ours_cls.__name__, name, 1) == theirs



@pytest.mark.parametrize("name", NAMES)
def test_named_parameters_and_their_state_dict(name):
    """``named_parameters()`` as params: the state dict carries ``param_names`` as torch's."""
    saved = []
    for cls in classes(name):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1)).double()
        opt = cls(model.named_parameters(), lr=0.02)
        x = torch.randn(5, 3, dtype=torch.float64)
        for _ in range(3):
            opt.zero_grad()
            model(x).pow(2).sum().backward()
            opt.step()
        assert opt.param_groups[0]["param_names"] == ["0.weight", "0.bias", "1.weight",
                                                      "1.bias"]
        saved.append((opt.state_dict(), [p.detach().clone() for p in model.parameters()]))
    (ours, ours_params), (theirs, their_params) = saved
    assert ours["param_groups"] == theirs["param_groups"]
    assert_same(ours_params, their_params, tolerance(name, torch.float64), name)


errors_of_ours_fail_the_test(globals())
