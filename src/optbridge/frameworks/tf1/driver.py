"""Drive the TF1 facade: Keras's ``apply_gradients``, a learning rate called without arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor

from optbridge.frameworks.keras.driver import KerasDriver
from optbridge.mappings.checks.drivers import Kwargs


class Tf1Driver(KerasDriver):
    """TF1 takes a callable learning rate without arguments."""

    def construct(self, factory: Callable[..., Any], kwargs: Kwargs, steps: int) -> Any:
        key = self.lr_key(kwargs)
        self._lr = [kwargs.get(key)] if key else [None]
        if key and self.lr_gamma != 1.0:
            kwargs = {**kwargs, key: lambda: self._lr[0]}
        return factory(**kwargs)

    def step(self, grads: dict[str, Tensor]) -> None:
        super().step(grads)
        if self._lr[0] is not None:
            self._lr[0] *= self.lr_gamma
