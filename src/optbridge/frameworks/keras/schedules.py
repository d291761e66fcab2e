"""``keras.optimizers.schedules`` (Keras 3.15.1): the learning-rate schedules a mapping note
names, on torch tensors. A schedule is called with the optimizer's iteration count and returns
a float32 scalar, as Keras computes it (``ops.power`` in the dtype of the initial rate)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

__all__ = ["ExponentialDecay", "LearningRateSchedule"]


class LearningRateSchedule:
    """Keras' base class: ``schedule(step)`` -> the learning rate at ``step``; serialisable
    through ``get_config``/``from_config``."""

    def __call__(self, step: int | Tensor) -> Tensor:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `__call__(self, step)`.")

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must "
                                  "override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``; with ``staircase`` the
    exponent is floored. ``decay_steps`` must be > 0 (``ValueError``, as Keras)."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        if self.decay_steps <= 0:
            raise ValueError("Argument `decay_steps` must be > 0. "
                             f"Received: decay_steps={self.decay_steps}")

    def __call__(self, step: int | Tensor) -> Tensor:
        # Keras converts a Python float to float32 (its floatx) and casts the rest to that dtype.
        initial = torch.as_tensor(self.initial_learning_rate, dtype=torch.float32)
        dtype = initial.dtype
        p = torch.as_tensor(step).to(dtype) / torch.as_tensor(self.decay_steps).to(dtype)
        if self.staircase:
            p = torch.floor(p)
        return initial * torch.pow(torch.as_tensor(self.decay_rate).to(dtype), p)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}
