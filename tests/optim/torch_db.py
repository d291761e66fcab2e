"""torch's optimizer database for RMSprop and Rprop, and what the tests driving it share.

``torch.testing._internal.common_optimizers.optim_db`` (in the torch wheel) describes, for
``RMSprop`` and ``Rprop``, the constructor inputs to test (``optim_inputs_func``), the inputs
that must fail and how (``optim_error_inputs_func``), the implementation flags
(``supported_impls``), the flags added after the first release (``not_og_supported_flags``),
complex support and the LR schedulers to run. ``OURS`` names the classes under test; the
mutant tests swap it.

Tolerances: Rprop's operations are exact or round once, so it must be bit-identical. RMSprop's
square root may differ from torch's by one ulp (FusedRMSprop's docstring), so params and state
are compared with rtol=1e-5, atol=1e-6 in float32 and rtol=1e-12, atol=1e-14 in float64.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from torch.testing._internal.common_optimizers import (
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
