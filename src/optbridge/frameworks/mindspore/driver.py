"""Drive a MindSpore facade: ``optimizer(grads)``, named params, a per-step lr list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor

from optbridge.frameworks.mindspore import FRAMEWORK
from optbridge.mappings.checks.drivers import Driver, Kwargs


class MindSporeDriver(Driver):
    """``optimizer(grads)``; named params; a schedule is MindSpore's per-step lr list."""

    def construct(self, factory: Callable[..., Any], kwargs: Kwargs, steps: int) -> Any:
        key = self.lr_key(kwargs)
        if key and self.lr_gamma != 1.0:
            kwargs = {**kwargs, key: [kwargs[key] * self.lr_gamma**t for t in range(steps)]}
        return factory(list(self.params.items()), **kwargs)

    def step(self, grads: dict[str, Tensor]) -> None:
        self.optimizer(tuple(grads[n].clone() for n in self.params))

    def seed_state(self, name: str, value: float) -> None:
        if name not in FRAMEWORK.state_names:
            raise KeyError(f"MindSpore optimizers have no state {name!r}; they have "
                           f"{', '.join(FRAMEWORK.state_names)}")
        for buffer in getattr(self.optimizer, FRAMEWORK.state_names[name]):
            buffer.fill_(value)
