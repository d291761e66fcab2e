"""Run any counterpart for a few steps on named float32 tensors, whatever its calling style.

Each framework feeds gradients differently (``param.grad`` + ``step()``, ``optimizer(grads)``,
``apply_gradients``, optax's ``update``), names its state differently and takes a learning-rate
schedule in its own form. A driver hides that, so a check is "same problem, both sides".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

Kwargs = dict[str, Any]

#: Where MindSpore keeps each state, as the attribute of its optimizer (a tuple per param).
MINDSPORE_STATE = {"mean_square": "ms", "moment": "moment", "mean_grad": "mg"}


def _lr_key(kwargs: Kwargs) -> str | None:
    return next((k for k in ("lr", "learning_rate") if k in kwargs), None)


class Driver:
    """Torch-like optimizers: ``cls(params, **kwargs)``, grads in ``.grad``, ``step()``."""

    params_keyword: str | None = None  # Paddle takes ``parameters=`` instead of a first argument

    def __init__(self, factory: Callable[..., Any], start: dict[str, Tensor], kwargs: Kwargs,
                 lr_gamma: float, steps: int) -> None:
        self.params = {n: torch.nn.Parameter(w.clone()) for n, w in start.items()}
        self.lr_gamma = lr_gamma
        self.optimizer = self.construct(factory, kwargs, steps)

    def construct(self, factory: Callable[..., Any], kwargs: Kwargs, steps: int) -> Any:
        params = list(self.params.values())
        if self.params_keyword:
            return factory(**{self.params_keyword: params}, **kwargs)
        return factory(params, **kwargs)

    def step(self, grads: dict[str, Tensor]) -> None:
        for name, p in self.params.items():
            p.grad = grads[name].clone()
        self.optimizer.step()
        if self.lr_gamma != 1.0:
            for group in self.optimizer.param_groups:
                group["lr"] *= self.lr_gamma

    def seed_state(self, name: str, value: float) -> None:
        raise NotImplementedError(f"seeding state {name!r} is not supported for this framework")

    def values(self) -> dict[str, Tensor]:
        return {n: p.detach().clone() for n, p in self.params.items()}


class PaddleDriver(Driver):
    params_keyword = "parameters"


class MindSporeDriver(Driver):
    """``optimizer(grads)``; named params; a schedule is MindSpore's per-step lr list."""

    def construct(self, factory: Callable[..., Any], kwargs: Kwargs, steps: int) -> Any:
        key = _lr_key(kwargs)
        if key and self.lr_gamma != 1.0:
            kwargs = {**kwargs, key: [kwargs[key] * self.lr_gamma**t for t in range(steps)]}
        return factory(list(self.params.items()), **kwargs)

    def step(self, grads: dict[str, Tensor]) -> None:
        self.optimizer(tuple(grads[n].clone() for n in self.params))

    def seed_state(self, name: str, value: float) -> None:
        if name not in MINDSPORE_STATE:
            raise KeyError(f"MindSpore optimizers have no state {name!r}")
        for buffer in getattr(self.optimizer, MINDSPORE_STATE[name]):
            buffer.fill_(value)


class KerasDriver(Driver):
    """``cls(**kwargs)``, ``apply_gradients(zip(grads, vars))``; a schedule is a callable."""

    def with_schedule(self, kwargs: Kwargs) -> Kwargs:
        """The learning rate as a function of the step count, when it decays."""
        key = _lr_key(kwargs)
        if not key or self.lr_gamma == 1.0:
            return kwargs
        base, gamma = kwargs[key], self.lr_gamma
        return {**kwargs, key: lambda step: base * gamma ** int(step)}

    def construct(self, factory: Callable[..., Any], kwargs: Kwargs, steps: int) -> Any:
        return factory(**self.with_schedule(kwargs))

    def step(self, grads: dict[str, Tensor]) -> None:
        pairs = [(grads[n].clone(), p) for n, p in self.params.items()]
        with torch.no_grad():
            self.optimizer.apply_gradients(pairs)


class Tf1Driver(KerasDriver):
    """TF1 takes a callable learning rate without arguments."""

    def construct(self, factory: Callable[..., Any], kwargs: Kwargs, steps: int) -> Any:
        key = _lr_key(kwargs)
        self._lr = [kwargs.get(key)] if key else [None]
        if key and self.lr_gamma != 1.0:
            kwargs = {**kwargs, key: lambda: self._lr[0]}
        return factory(**kwargs)

    def step(self, grads: dict[str, Tensor]) -> None:
        super().step(grads)
        if self._lr[0] is not None:
            self._lr[0] *= self.lr_gamma


class OptaxDriver(KerasDriver):
    """A gradient transformation: ``init``, ``update``, ``apply_updates``; a schedule is a
    function of the update count, as in Keras."""

    def construct(self, factory: Callable[..., Any], kwargs: Kwargs, steps: int) -> Any:
        transformation = factory(**self.with_schedule(kwargs))
        self.values_tree = {n: p.detach().clone() for n, p in self.params.items()}
        self.state = transformation.init(self.values_tree)
        return transformation

    def step(self, grads: dict[str, Tensor]) -> None:
        from optbridge.compat.optax import apply_updates

        updates, self.state = self.optimizer.update(grads, self.state, self.values_tree)
        self.values_tree = apply_updates(self.values_tree, updates)

    def values(self) -> dict[str, Tensor]:
        return {n: v.detach().clone() for n, v in self.values_tree.items()}


def driver_for(counterpart: str) -> type[Driver]:
    """The driver of a ``module:attribute`` counterpart."""
    module = counterpart.partition(":")[0]
    for prefix, driver in (
        ("optbridge.compat.mindspore", MindSporeDriver),
        ("optbridge.compat.keras", KerasDriver),
        ("optbridge.compat.tf1", Tf1Driver),
        ("optbridge.compat.optax", OptaxDriver),
        ("optbridge.compat.paddle", PaddleDriver),
    ):
        if module.startswith(prefix):
            return driver
    return Driver
