"""Drive a Keras facade: ``cls(**kwargs)``, ``apply_gradients``, a callable schedule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from optbridge.mappings.checks.drivers import Driver, Kwargs


class KerasDriver(Driver):
    """``cls(**kwargs)``, ``apply_gradients(zip(grads, vars))``; a schedule is a callable."""

    def construct(self, factory: Callable[..., Any], kwargs: Kwargs, steps: int) -> Any:
        return factory(**self.with_step_schedule(kwargs))

    def step(self, grads: dict[str, Tensor]) -> None:
        pairs = [(grads[n].clone(), p) for n, p in self.params.items()]
        with torch.no_grad():
            self.optimizer.apply_gradients(pairs)
