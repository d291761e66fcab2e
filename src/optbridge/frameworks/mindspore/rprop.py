"""``mindspore.nn.Rprop`` (MindSpore 2.10) on the shared engine."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from optbridge.engine import RPROP
from optbridge.frameworks.mindspore._optimizer import LearningRate, MindSporeOptimizer
from optbridge.frameworks.mindspore._validator import check_float_open_range, check_value_type


class Rprop(MindSporeOptimizer):
    r"""MindSpore's ``nn.Rprop``: PyTorch's Rprop rule after MindSpore's gradient preparation.

    The step size of every element is set to the current learning rate on the first call,
    then follows PyTorch's rule (``etas``, clamped to ``step_sizes`` on every step, gradient
    zeroed after a sign flip). Weight decay is coupled (``g + wd*w``) and, without groups,
    skips parameters whose name contains ``beta`` or ``gamma``.

    Parameters
    ----------
    params : iterable
        As :class:`optbridge.compat.mindspore.RMSProp`.
    learning_rate : float, int, 1-D tensor, sequence of float or callable, default 0.1
        Only its value at the first call matters (it seeds the step sizes).
    etas : tuple of float, default (0.5, 1.2)
        Must be a ``tuple`` of two; ``0 < etaminus < 1`` (a ``float``); ``etaplus`` a ``float``
        greater than 1.
    step_sizes : tuple of float, default (1e-6, 50.0)
        Must be a ``tuple`` of two ``float`` with min <= max.
    weight_decay : float or int, default 0.0

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.mindspore import Rprop
    >>> w = torch.tensor([1.0, -2.0])
    >>> opt = Rprop([w], learning_rate=0.1)
    >>> opt((torch.tensor([1.0, -1.0]),))
    True
    >>> w
    tensor([ 0.9000, -1.9000])
    """

    rule = RPROP

    def __init__(self, params: Any, learning_rate: LearningRate = 0.1,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50.0),
                 weight_decay: float = 0.0) -> None:
        name = type(self).__name__
        groups = self._parse(params, learning_rate, weight_decay, 1.0)
        if not isinstance(etas, tuple):
            raise TypeError(f"For Rprop, etas must be a tuple, but got {type(etas)}.")
        if len(etas) != 2:
            raise ValueError(f"For Rprop, etas must be a tuple with the size of 2, but got "
                             f"{len(etas)}.")
        if not isinstance(step_sizes, tuple):
            # MindSpore's message prints type(etas) here; the condition is on step_sizes
            raise TypeError(f"For Rprop, step_sizes must be a tuple, but got {type(etas)}.")
        if len(step_sizes) != 2:
            raise ValueError("For Rprop, step_sizes must be a tuple with the size of 2, but got "
                             f"{len(step_sizes)}.")
        if step_sizes[0] > step_sizes[1]:
            raise ValueError("For Rprop, maximal step size should not be less than minimal step "
                             f"size, but got {step_sizes[0]} > {step_sizes[1]}.")
        check_float_open_range(etas[0], 0.0, 1.0, "etaminus", name)
        check_value_type("etaplus", etas[1], (float,), name)
        if etas[1] <= 1.0:
            raise ValueError(f"For Rprop, etaplus must be greater than 1.0, but got etaplus "
                             f"{etas[1]}.")
        check_value_type("min_step_sizes", step_sizes[0], (float,), name)
        check_value_type("max_step_sizes", step_sizes[1], (float,), name)
        self.etaminus, self.etaplus = etas
        self.step_size_min, self.step_size_max = step_sizes
        self._start_engine(groups, {"etas": etas, "step_sizes": step_sizes})

    def rule_options(self, group: dict) -> dict:
        return {"lr": group["lr"], "etas": group["etas"], "step_sizes": group["step_sizes"],
                    "maximize": False, "weight_decay": 0.0}  # decay applied in MindSpore's order

    @property
    def prev(self) -> tuple[Tensor, ...]:
        """Previous (sign-flip-zeroed) gradients, in ``self.parameters`` order."""
        return tuple(self.state[p]["prev"] for p in self.parameters)

    @property
    def step_size(self) -> tuple[Tensor, ...]:
        """Per-element step sizes, in ``self.parameters`` order."""
        return tuple(self.state[p]["step_size"] for p in self.parameters)
