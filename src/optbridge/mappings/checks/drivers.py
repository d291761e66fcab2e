"""Run any counterpart for a few steps on named float32 tensors, whatever its calling style.

Each framework feeds gradients differently (``param.grad`` + ``step()``, ``optimizer(grads)``,
``apply_gradients``, optax's ``update``), names its state differently and takes a learning-rate
schedule in its own form. A driver hides that, so a check is "same problem, both sides". This
module holds the torch-like base driver; each framework's own driver lives in its room
(``optbridge/frameworks/<name>/driver.py``) and is found through the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from optbridge.frameworks import framework_of

Kwargs = dict[str, Any]


class Driver:
    """Torch-like optimizers: ``cls(params, **kwargs)``, grads in ``.grad``, ``step()``."""

    params_keyword: str | None = None  # Paddle takes ``parameters=`` instead of a first argument

    def __init__(self, factory: Callable[..., Any], start: dict[str, Tensor], kwargs: Kwargs,
                 lr_gamma: float, steps: int) -> None:
        self.params = {n: torch.nn.Parameter(w.clone()) for n, w in start.items()}
        self.lr_gamma = lr_gamma
        self.optimizer = self.construct(factory, kwargs, steps)

    @staticmethod
    def lr_key(kwargs: Kwargs) -> str | None:
        """The keyword the learning rate is passed as, if it is passed."""
        return next((k for k in ("lr", "learning_rate") if k in kwargs), None)

    def with_step_schedule(self, kwargs: Kwargs) -> Kwargs:
        """The learning rate as a function of the step count, when it decays (Keras, optax)."""
        key = self.lr_key(kwargs)
        if not key or self.lr_gamma == 1.0:
            return kwargs
        base, gamma = kwargs[key], self.lr_gamma
        return {**kwargs, key: lambda step: base * gamma ** int(step)}

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


def driver_for(counterpart: str) -> type[Driver]:
    """The driver of a ``module:attribute`` counterpart: its framework's (see
    :func:`optbridge.frameworks.framework_of`), else the torch-like :class:`Driver`."""
    framework = framework_of(counterpart.partition(":")[0])
    return framework.load_driver() if framework is not None else Driver
