"""``mindspore.nn.RMSProp`` (MindSpore 2.10) on the shared engine."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from optbridge.engine import RMSPROP
from optbridge.frameworks.mindspore._optimizer import LearningRate, MindSporeOptimizer
from optbridge.frameworks.mindspore._validator import (
    check_non_negative_float,
    check_positive_float,
    check_value_type,
)


class RMSProp(MindSporeOptimizer):
    r"""MindSpore's ``nn.RMSProp``: TF1-style RMSprop with the accumulator starting at ones.

    Per element, after MindSpore's gradient preparation (coupled weight decay
    ``g + wd*loss_scale*w`` on the loss-scaled gradient, gradient centralization for grouped
    params that ask for it, then ``* 1/loss_scale``)::

        ms  <- ms + (g*g - ms) * (1 - decay)                      # ms starts at ones
        mg  <- mg + (g - mg) * (1 - decay)                        # centered only
        mom <- momentum * mom + lr * g / sqrt(ms [- mg*mg] + epsilon)
        w   <- w - mom

    so ``epsilon`` is inside the root and ``lr`` inside the momentum buffer.

    Parameters
    ----------
    params : iterable
        Tensors, ``(name, tensor)`` pairs (``model.named_parameters()``), a ``torch.nn.Module``,
        or MindSpore group dicts with keys ``params``, ``lr``, ``weight_decay``,
        ``grad_centralization``, or a single ``{"order_params": [...]}`` entry that fixes the
        order of ``self.parameters`` (the order ``optimizer(grads)`` expects).
    learning_rate : float, int, 1-D tensor, sequence of float or callable, default 0.1
        A constant, a dynamic learning rate indexed by the step count (as MindSpore), or a
        callable ``step -> lr`` standing in for a ``LearningRateSchedule``.
    decay : float, default 0.9
        Must be a ``float`` >= 0 (``TypeError`` / ``ValueError`` otherwise, as MindSpore).
    momentum : float, default 0.0
        Must be a ``float`` >= 0.
    epsilon : float, default 1e-10
        Must be a ``float`` > 0.
    use_locking : bool, default False
        Accepted (and type-checked) for compatibility; it has no effect here.
    centered : bool, default False
    loss_scale : float, default 1.0
        Gradients passed in are divided by it (ints are accepted and converted).
    weight_decay : float or int, default 0.0
        Coupled. Without groups it skips parameters whose name contains ``beta`` or ``gamma``.

    Notes
    -----
    State per parameter: ``square_avg`` (MindSpore ``mean_square``, from ones),
    ``momentum_buffer`` (``moment``, only when momentum > 0: with momentum 0 MindSpore's buffer
    stays zero-weighted, so the result is the same) and ``grad_avg`` (``mean_grad``).
    MindSpore's CPU backend has no ``Centralization`` kernel (RuntimeError); this facade
    implements the documented formula ``g - mean(g, axes 1..)`` for params with ``ndim > 1``
    and ``shape[1] % 16 == 0``.

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.mindspore import RMSProp
    >>> w = torch.tensor([1.0, -2.0])
    >>> opt = RMSProp([("dense.weight", w)], learning_rate=0.01)
    >>> opt((2 * w,))
    True
    """

    rule = RMSPROP

    def __init__(self, params: Any, learning_rate: LearningRate = 0.1, decay: float = 0.9,
                 momentum: float = 0.0, epsilon: float = 1e-10, use_locking: bool = False,
                 centered: bool = False, loss_scale: float = 1.0,
                 weight_decay: float = 0.0) -> None:
        name = type(self).__name__
        # MindSpore's base class checks params, lr, loss scale and weight decay first
        groups = self._parse(params, learning_rate, weight_decay, loss_scale)
        check_value_type("decay", decay, (float,), name)
        check_non_negative_float(decay, "decay", name)
        check_value_type("momentum", momentum, (float,), name)
        check_non_negative_float(momentum, "momentum", name)
        check_value_type("epsilon", epsilon, (float,), name)
        check_positive_float(epsilon, "epsilon", name)
        check_value_type("use_locking", use_locking, (bool,), name)
        check_value_type("centered", centered, (bool,), name)
        self.decay, self.momentum, self.epsilon = decay, momentum, epsilon
        self.centered, self.use_locking = centered, use_locking
        defaults = {"decay": decay, "momentum": momentum, "epsilon": epsilon, "centered": centered}
        self._start_engine(groups, defaults)

    def rule_options(self, group: dict) -> dict:
        return {"lr": group["lr"], "alpha": group["decay"], "eps": group["epsilon"],
                    "weight_decay": 0.0,  # applied to the gradient in MindSpore's order, see base
                    "momentum": group["momentum"], "centered": group["centered"], "maximize": False,
                    "eps_in_sqrt": True, "lr_in_momentum": True}

    def state_init(self, group: dict) -> dict[str, str | float]:
        return {"square_avg": "ones"}

    @property
    def ms(self) -> tuple[Tensor, ...]:
        """MindSpore's ``mean_square`` accumulators, in ``self.parameters`` order."""
        return tuple(self.state[p]["square_avg"] for p in self.parameters)

    @property
    def moment(self) -> tuple[Tensor, ...]:
        """The momentum buffers (empty tuple when momentum is 0)."""
        return tuple(self.state[p]["momentum_buffer"] for p in self.parameters
                     if "momentum_buffer" in self.state[p])

    @property
    def mg(self) -> tuple[Tensor, ...]:
        """The ``mean_grad`` accumulators of the centered variant (else an empty tuple)."""
        return tuple(self.state[p]["grad_avg"] for p in self.parameters
                     if "grad_avg" in self.state[p])
