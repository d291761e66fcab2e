"""FusedRMSprop / FusedRprop driven by torch's own optimizer database, side by side with torch.

``torch.testing._internal.common_optimizers.optim_db`` (in the torch wheel) describes, for
``RMSprop`` and ``Rprop``, the constructor inputs to test (``optim_inputs_func``), the inputs
that must fail and how (``optim_error_inputs_func``), the implementation flags
(``supported_impls``), the flags added after the first release (``not_og_supported_flags``),
complex support and the LR schedulers to run. Every test here runs the same inputs through our
class and torch's and compares: params and state after a few steps (torch's for-loop
implementation, ``foreach=False``, is the reference), exception types and messages, and what
hooks, state dicts, copies and schedulers see. The behaviours mirror what torch's
``TestOptimRenewed`` checks for these two optimizers on CPU.

Tolerances: Rprop's operations are exact or round once, so it must be bit-identical. RMSprop's
square root may differ from torch's by one ulp (FusedRMSprop's docstring), so params and state
are compared with rtol=1e-5, atol=1e-6 in float32 and rtol=1e-12, atol=1e-14 in float64.
"""

from __future__ import annotations

import copy
import io
import pickle
import warnings
from typing import Any

import pytest
import torch
from optim_problems import errors_of_ours_fail_the_test
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.testing._internal.common_optimizers import (
    OptimizerErrorEnum,
    _get_optim_inputs_including_global_cliquey_kwargs,
    optim_db,
)

from optbridge.optim import FusedRMSprop, FusedRprop

OURS = {"RMSprop": FusedRMSprop, "Rprop": FusedRprop}
INFOS = {info.name: info for info in optim_db if info.name in OURS}
STEPS = 5


def tolerance(name: str, dtype: torch.dtype) -> dict[str, float]:
    if name == "Rprop":
        return {"rtol": 0.0, "atol": 0.0}
    if dtype in (torch.float64, torch.complex128):
        return {"rtol": 1e-12, "atol": 1e-14}
    return {"rtol": 1e-5, "atol": 1e-6}


def optim_inputs(name: str) -> list[Any]:
    """Every CPU input of the database with the global flags torch's tests add (on CPU:
    ``differentiable``), plus ``foreach=True``, which torch accepts on CPU too."""
    info = INFOS[name]
    inputs = _get_optim_inputs_including_global_cliquey_kwargs("cpu", torch.float32, info)
    for base in info.optim_inputs_func("cpu"):
        inputs.append(type(base)(params=None, kwargs={**base.kwargs, "foreach": True},
                                 desc=f"{base.desc} & foreach"))
    return inputs


CASES = [pytest.param(name, i, id=f"{name}-{oi.desc}")
         for name in OURS for i, oi in enumerate(optim_inputs(name))]
PLAIN_CASES = [pytest.param(name, i, id=f"{name}-{oi.desc}")
               for name in OURS for i, oi in enumerate(INFOS[name].optim_inputs_func("cpu"))]
NAMES = list(OURS)


def kwargs_of(name: str, index: int, plain: bool = False) -> dict[str, Any]:
    inputs = INFOS[name].optim_inputs_func("cpu") if plain else optim_inputs(name)
    return copy.deepcopy(inputs[index].kwargs)


def classes(name: str) -> tuple[type, type]:
    return OURS[name], INFOS[name].optim_cls


def same_message(ours: BaseException, theirs: BaseException, name: str) -> str:
    return str(ours).replace(OURS[name].__name__, name)


# --- a small problem: a weight, a bias and a non-contiguous param ------------------------------


def leaves(dtype: torch.dtype, seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=gen, dtype=dtype) for shape in [(10, 5), (10,)]] + [
        torch.randn(6, 4, 2, generator=gen, dtype=dtype)[..., 0]]  # non-contiguous


def make_params(dtype: torch.dtype, differentiable: bool, seed: int = 0) -> list[torch.Tensor]:
    """Leaf Parameters, or for differentiable=True non-leaf tensors (as torch's own
    differentiable tests use: a step may not write in place into a leaf that requires grad)."""
    if differentiable:
        return [t.clone().requires_grad_().clone() for t in leaves(dtype, seed)]
    return [torch.nn.Parameter(t.clone()) for t in leaves(dtype, seed)]


def grads_at(params: list[torch.Tensor], seed: int = 1) -> list[torch.Tensor]:
    """Grads of sum c * |p - t|^2, computed from the detached params (so the same for both)."""
    gen = torch.Generator().manual_seed(seed)
    grads = []
    for p in params:
        real = p.dtype.to_real()
        c = torch.rand(p.shape, generator=gen, dtype=real) + 0.5
        t = torch.randn(p.shape, generator=gen, dtype=real)
        if p.is_complex():
            t = torch.complex(t, torch.randn(p.shape, generator=gen, dtype=real))
        grads.append(2 * c * (p.detach() - t))
    return grads


def set_grads(params: list[torch.Tensor], seed: int = 1) -> None:
    for p, g in zip(params, grads_at(params, seed)):
        p.grad = g


def loss_of(params: list[torch.Tensor], seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    loss = 0
    for p in params:
        c = torch.rand(p.shape, generator=gen, dtype=p.dtype) + 0.5
        t = torch.randn(p.shape, generator=gen, dtype=p.dtype)
        loss = loss + (c * (p - t) ** 2).sum()
    return loss


def run(cls: type, kwargs: dict[str, Any], params: list[torch.Tensor], steps: int = STEPS):
    opt = cls(params, **kwargs)
    for step in range(steps):
        set_grads(params, seed=step)
        opt.step()
    return opt


def assert_same(ours: list[torch.Tensor], theirs: list[torch.Tensor], tol: dict[str, float],
                what: str) -> None:
    assert len(ours) == len(theirs), what
    for i, (a, b) in enumerate(zip(ours, theirs)):
        torch.testing.assert_close(a.detach(), b.detach(), **tol,
                                   msg=lambda m, i=i: f"{what}, tensor {i}: {m}")


def assert_same_state(ours: torch.optim.Optimizer, theirs: torch.optim.Optimizer,
                      tol: dict[str, float], what: str, ignore: frozenset = frozenset()) -> None:
    """Same state_dict: param groups (but the keys in ``ignore``) and state tensors."""
    a, b = ours.state_dict(), theirs.state_dict()
    groups = [[{k: v for k, v in g.items() if k not in ignore} for g in sd["param_groups"]]
              for sd in (a, b)]
    assert groups[0] == groups[1], what
    assert a["state"].keys() == b["state"].keys(), what
    for index, state in b["state"].items():
        assert a["state"][index].keys() == state.keys(), f"{what}: state keys of param {index}"
        for key, value in state.items():
            torch.testing.assert_close(
                a["state"][index][key], value, **tol,
                msg=lambda m, k=key, i=index: f"{what}: state[{i}][{k!r}]: {m}")


# --- every optim input: same trajectory as torch's for-loop implementation ---------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("name,index", CASES)
def test_optim_input_matches_torch_forloop(name, index, dtype):
    ours_cls, torch_cls = classes(name)
    kwargs = kwargs_of(name, index)
    differentiable = kwargs.get("differentiable", False)
    reference = {**kwargs, "foreach": False}
    ours_params = make_params(dtype, differentiable)
    torch_params = make_params(dtype, differentiable)
    ours = run(ours_cls, kwargs, ours_params)
    theirs = run(torch_cls, reference, torch_params)
    tol = tolerance(name, dtype)
    assert_same(ours_params, torch_params, tol, f"{name} {kwargs} params")
    if differentiable:  # the step is recorded by autograd, as torch's is
        for p in ours_params:
            assert p.grad_fn is not None, f"{ours_cls.__name__}(differentiable=True) left no graph"
    assert_same_state(ours, theirs, tol, f"{name} {kwargs}", ignore=frozenset({"foreach"}))


# --- the implementation flags: accepted or refused exactly where torch's class does -----------

FLAG_VARIANTS = [
    {"foreach": None}, {"foreach": False}, {"foreach": True},
    {"differentiable": True}, {"differentiable": True, "foreach": True},
    {"capturable": True}, {"capturable": True, "foreach": True}, {"capturable": False},
    {"fused": None}, {"fused": False}, {"fused": True},
]


def outcome(cls: type, kwargs: dict[str, Any], name: str) -> tuple[str, str]:
    """What constructing the class with ``kwargs`` and taking one step (leaf params) does."""
    params = make_params(torch.float32, differentiable=False)
    stage = "construct"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt = cls(params, **kwargs)
            stage = "step"
            set_grads(params)
            opt.step()
    except Exception as err:  # noqa: BLE001 - the outcome is compared with torch's
        return stage, f"{type(err).__name__}: {str(err).replace(OURS[name].__name__, name)}"
    return "ok", ""


@pytest.mark.parametrize("flags", FLAG_VARIANTS, ids=str)
@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_flags_accepted_or_refused_like_torch(name, index, flags):
    ours_cls, torch_cls = classes(name)
    kwargs = {**kwargs_of(name, index, plain=True), **flags}
    assert outcome(ours_cls, kwargs, name) == outcome(torch_cls, kwargs, name), kwargs


# --- every error input: same exception type and message ----------------------------------------


ERROR_CASES = [
    pytest.param(name, i, dtype, id=f"{name}-{e.optimizer_error_input.desc}-{dtype}")
    for name in OURS for dtype in (torch.float32, torch.float64)
    for i, e in enumerate(INFOS[name].optim_error_inputs_func("cpu", dtype))
]


def error_of(cls: type, error_input: Any, dtype: torch.dtype, name: str) -> str:
    optim_input = error_input.optimizer_error_input
    params = optim_input.params
    if params is None:
        params = [torch.nn.Parameter(torch.randn(2, 2, dtype=dtype))]
    kind = error_input.error_type
    check = pytest.warns if issubclass(kind, Warning) else pytest.raises
    with check(kind, match=error_input.error_regex) as info:
        opt = cls(params, **optim_input.kwargs)
        if error_input.error_on == OptimizerErrorEnum.STEP_ERROR:
            opt.step()
    if issubclass(kind, Warning):
        messages = [str(w.message) for w in info if issubclass(w.category, kind)]
        return messages[0].replace(OURS[name].__name__, name)
    return str(info.value).replace(OURS[name].__name__, name)


@pytest.mark.parametrize("name,index,dtype", ERROR_CASES)
def test_error_input_raises_like_torch(name, index, dtype):
    ours_cls, torch_cls = classes(name)
    # fresh inputs for each class: the error inputs hold params that the first run may touch
    theirs = error_of(torch_cls, INFOS[name].optim_error_inputs_func("cpu", dtype)[index],
                      dtype, name)
    ours = error_of(ours_cls, INFOS[name].optim_error_inputs_func("cpu", dtype)[index],
                    dtype, name)
    assert ours == theirs


# --- differentiable=True: gradcheck through one step ---------------------------------------------


def step_as_function(p, grad, state, cls, kwargs, *state_values):
    """One step as a function of (param, grad, state): gradcheck's inputs are all tensors."""
    p = p.clone()
    p.grad = grad
    opt = cls([p], **kwargs)
    opt.state[p].update({k: v.clone() if isinstance(v, torch.Tensor) else v
                         for k, v in state.items()})
    opt.step()
    return (p, *[v for v in opt.state[p].values()
                 if isinstance(v, torch.Tensor) and v.requires_grad])


def differentiable_inputs(name: str) -> tuple[torch.Tensor, torch.Tensor, dict, dict]:
    gen = torch.Generator().manual_seed(0)

    def rand(scale: float = 1.0) -> torch.Tensor:
        t = scale * torch.rand(10, generator=gen, dtype=torch.float64)
        return t.requires_grad_()

    p, grad = rand(), rand()
    if name == "RMSprop":
        state = {"step": torch.zeros((), dtype=torch.float64), "square_avg": rand(),
                 "momentum_buffer": rand(), "grad_avg": rand(1e-2)}
        kwargs = {"lr": 0.9, "maximize": True, "momentum": 0.9, "centered": True,
                  "weight_decay": 0.1}
    else:
        state = {"step": torch.tensor(10.0, dtype=torch.float64), "prev": rand(),
                 "step_size": rand()}
        kwargs = {"lr": 0.9}
    return p, grad, state, {**kwargs, "differentiable": True}


@pytest.mark.parametrize("name", NAMES)
def test_differentiable_step_passes_gradcheck(name):
    ours_cls, torch_cls = classes(name)
    p, grad, state, kwargs = differentiable_inputs(name)
    args = (p, grad, state, torch_cls, kwargs, *state.values())
    assert torch.autograd.gradcheck(step_as_function, args)  # the reference passes it
    ours_args = (p, grad, state, ours_cls, kwargs, *state.values())
    assert torch.autograd.gradcheck(step_as_function, ours_args)
    assert_same(step_as_function(*ours_args), step_as_function(*args),
                {"rtol": 1e-12, "atol": 1e-14}, f"{name} differentiable step outputs")


@pytest.mark.parametrize("name", NAMES)
def test_differentiable_step_backpropagates_like_torch(name):
    """d(loss after the steps)/d(initial params) equals torch's. Two steps of RMSprop; one of
    Rprop, whose in-place clamp of step_size makes torch's own second backward fail."""
    grads = []
    for cls in classes(name):
        w0 = torch.linspace(-1, 1, 6, dtype=torch.float64).requires_grad_()
        p = w0.clone()
        opt = cls([p], lr=0.1, differentiable=True)
        for _ in range(2 if name == "RMSprop" else 1):
            loss = ((p - 0.3) ** 2).sum()
            p.grad = torch.autograd.grad(loss, p, create_graph=True)[0]
            opt.step()
        ((p ** 2).sum()).backward()
        grads.append(w0.grad)
    ours, theirs = grads
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-14)


# --- complex params: viewed as pairs of reals, as torch does ------------------------------------


@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128], ids=str)
@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_complex_params_match_torch(name, index, dtype):
    assert INFOS[name].supports_complex
    ours_cls, torch_cls = classes(name)
    kwargs = kwargs_of(name, index, plain=True)
    gen = torch.Generator().manual_seed(0)
    shapes = [(4, 3), (5,)]
    start = [torch.randn(s, dtype=dtype, generator=gen) for s in shapes]
    ours_params = [torch.nn.Parameter(t.clone()) for t in start]
    torch_params = [torch.nn.Parameter(t.clone()) for t in start]
    real_params = [torch.nn.Parameter(torch.view_as_real(t.clone())) for t in start]
    ours = run(ours_cls, kwargs, ours_params)
    theirs = run(torch_cls, kwargs, torch_params)
    as_real = torch_cls(real_params, **kwargs)
    for step in range(STEPS):  # the same grads, computed on complex views, given as real pairs
        grads = grads_at([torch.view_as_complex(r) for r in real_params], seed=step)
        for r, g in zip(real_params, grads):
            r.grad = torch.view_as_real(g)
        as_real.step()
    tol = tolerance(name, dtype)
    assert_same(ours_params, torch_params, tol, f"{name} {kwargs} complex params")
    assert_same([torch.view_as_real(p) for p in ours_params], real_params, tol,
                f"{name} {kwargs} complex params against torch on real views")
    assert_same_state(ours, theirs, tol, f"{name} {kwargs} complex state")


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



@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_tensor_lr_matches_float_lr_and_torch(name, index):
    """A one-element tensor lr (torch's database gives it only with capturable, on CUDA)."""
    kwargs = kwargs_of(name, index, plain=True)
    lr = kwargs.pop("lr", 0.01)
    finals = []
    for cls in classes(name):
        for value in (lr, torch.tensor(lr)):
            params = make_params(torch.float64, differentiable=False)
            run(cls, {**kwargs, "lr": value}, params)
            finals.append(params)
    tol = tolerance(name, torch.float64)
    ours_float, ours_tensor, torch_float, torch_tensor = finals
    assert_same(ours_tensor, torch_tensor, tol, f"{name} {kwargs} with a tensor lr")
    assert_same(ours_float, torch_float, tol, f"{name} {kwargs} with a float lr")


@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_zero_grads_step_like_torch(name, index):
    """All-zero grads: params move only where torch's do (weight decay), state is created."""
    kwargs = kwargs_of(name, index, plain=True)
    finals = []
    for cls in classes(name):
        params = make_params(torch.float64, differentiable=False)
        opt = cls(params, **kwargs)
        for _ in range(3):
            for p in params:
                p.grad = torch.zeros_like(p)
            opt.step()
        finals.append((params, opt))
    tol = tolerance(name, torch.float64)
    assert_same(finals[0][0], finals[1][0], tol, f"{name} {kwargs} with zero grads")
    assert_same_state(finals[0][1], finals[1][1], tol, f"{name} {kwargs} with zero grads")


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


@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_state_after_a_step_has_torchs_keys_and_is_deterministic(name, index):
    kwargs = kwargs_of(name, index, plain=True)
    ours_cls, torch_cls = classes(name)
    opts = [run(cls, kwargs, make_params(torch.float32, False), steps=1)
            for cls in (ours_cls, torch_cls)]
    ours, theirs = (o.state_dict() for o in opts)
    for index_, state in theirs["state"].items():
        assert ours["state"][index_].keys() == state.keys()
        for key, value in state.items():
            got = ours["state"][index_][key]
            assert type(got) is type(value) and got.dtype == value.dtype, key
            assert got.shape == value.shape and got.device == value.device, key
    again = opts[0].state_dict()
    assert again["param_groups"] == ours["param_groups"]
    for index_, state in ours["state"].items():
        for key, value in state.items():
            assert torch.equal(again["state"][index_][key], value)


@pytest.mark.parametrize("contiguous", [True, False])
@pytest.mark.parametrize("name,index", PLAIN_CASES)
def test_goes_the_right_direction(name, index, contiguous):
    """torch's own check: 20 steps on (W x + b)^2 lower the loss (raise it with maximize)."""
    kwargs = kwargs_of(name, index, plain=True)
    for cls in classes(name):
        gen = torch.Generator().manual_seed(0)
        if contiguous:
            weight = torch.nn.Parameter(torch.randn(10, 5, generator=gen))
            bias = torch.nn.Parameter(torch.randn(10, generator=gen))
        else:
            weight = torch.nn.Parameter(torch.randn(10, 5, 2, generator=gen)[..., 0])
            bias = torch.nn.Parameter(torch.randn(10, 2, generator=gen)[..., 0])
        x = torch.randn(5, generator=gen)
        opt = cls([weight, bias], **kwargs)

        def closure(opt=opt, weight=weight, bias=bias, x=x):
            opt.zero_grad()
            loss = (weight.mv(x) + bias).pow(2).sum()
            loss.backward()
            return loss

        start = closure().item()
        for _ in range(20):
            opt.step(closure)
        end = closure().item()
        if kwargs.get("maximize"):
            assert end > start, f"{cls.__name__}({kwargs}) did not climb: {start} -> {end}"
        else:
            assert end < start, f"{cls.__name__}({kwargs}) did not descend: {start} -> {end}"


errors_of_ours_fail_the_test(globals())
