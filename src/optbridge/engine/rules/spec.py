"""Declarations the engine needs from an update rule: its function and its state buffers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

StateInit = Literal["zeros", "ones", "lr"] | float


def _always(options: Mapping[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class StateBuffer:
    """One per-element state buffer of a rule.

    Parameters
    ----------
    name : str
        Key in ``optimizer.state[p]`` and in the ``state`` mapping the rule receives.
    init : {"zeros", "ones", "lr"} or float
        Initial value: zeros, ones, the group's learning rate, or a constant.
    when : callable, optional
        ``when(options) -> bool``: whether the buffer exists for these rule options.
    """

    name: str
    init: StateInit = "zeros"
    when: Callable[[Mapping[str, Any]], bool] = _always


@dataclass(frozen=True)
class Rule:
    """An update rule: an in-place function plus the state it keeps.

    Parameters
    ----------
    name : str
        Kernels are registered under this name; a rule without a kernel runs on the generic
        torch-ops path.
    update : callable
        ``update(param, grad, state, **options) -> None``, in place on ``param`` and ``state``.
    state : tuple of StateBuffer
        The buffers, in creation order.
    """

    name: str
    update: Callable[..., None]
    state: tuple[StateBuffer, ...] = field(default_factory=tuple)

    def buffers(self, options: Mapping[str, Any]) -> tuple[StateBuffer, ...]:
        """The buffers that exist for ``options``."""
        return tuple(b for b in self.state if b.when(options))


def init_value(init: StateInit, lr: float | torch.Tensor) -> float:
    """The number a buffer starts at, given the group's lr."""
    if init == "zeros":
        return 0.0
    if init == "ones":
        return 1.0
    if init == "lr":
        return float(lr)
    if isinstance(init, int | float):
        return float(init)
    raise ValueError(f"StateBuffer.init must be 'zeros', 'ones', 'lr' or a float, got {init!r}")
