"""Drive an optax facade: a gradient transformation, functional updates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor

from optbridge.mappings.checks.drivers import Driver, Kwargs


class OptaxDriver(Driver):
    """``init``, ``update``, ``apply_updates``; a schedule is a function of the update count,
    as in Keras."""

    def construct(self, factory: Callable[..., Any], kwargs: Kwargs, steps: int) -> Any:
        transformation = factory(**self.with_step_schedule(kwargs))
        self.values_tree = {n: p.detach().clone() for n, p in self.params.items()}
        self.state = transformation.init(self.values_tree)
        return transformation

    def step(self, grads: dict[str, Tensor]) -> None:
        from optbridge.frameworks.optax.facade import apply_updates

        updates, self.state = self.optimizer.update(grads, self.state, self.values_tree)
        self.values_tree = apply_updates(self.values_tree, updates)

    def values(self) -> dict[str, Tensor]:
        return {n: v.detach().clone() for n, v in self.values_tree.items()}
