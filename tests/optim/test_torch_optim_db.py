"""FusedRMSprop / FusedRprop driven by every entry of torch's optim_db, side by side with torch.

For every CPU optim input of ``optim_db`` (plus ``foreach=True``): the same params and state as
torch's for-loop implementation after a few steps, in float32 and float64 (tolerances in
torch_db.py); the implementation flags (``foreach``, ``differentiable``, ``capturable``,
``fused``) accepted or refused exactly where torch's class does; every error input raising the
same exception type and message; ``differentiable=True`` through gradcheck; complex params.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from optim_problems import errors_of_ours_fail_the_test
from torch.testing._internal.common_optimizers import OptimizerErrorEnum
from torch_db import (
    CASES,
    INFOS,
    NAMES,
    OURS,
    PLAIN_CASES,
    STEPS,
    assert_same,
    assert_same_state,
    classes,
    grads_at,
    kwargs_of,
    make_params,
    run,
    set_grads,
    tolerance,
)

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
