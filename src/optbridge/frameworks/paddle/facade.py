"""Paddle ``paddle.optimizer.RMSProp`` and ``paddle.optimizer.Rprop`` (Paddle 3.3) on the
shared engine. Paddle's dygraph API: gradients in ``param.grad`` (torch's autograd fills them
here), ``step()``, ``clear_grad()``, ``set_lr()`` / ``get_lr()``."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor

from optbridge.engine import RMSPROP, RPROP, FusedOptimizer

__all__ = ["RMSProp", "Rprop"]


class _PaddleOptimizer(FusedOptimizer):
    """Paddle's ``Optimizer`` base behaviour (not public)."""

    def _paddle_init(self, learning_rate: Any, parameters: Any, defaults: dict,
                     grad_clip: Any) -> None:
        if parameters is None:
            # Paddle dygraph mode; the type is Paddle's
            raise AttributeError("parameters argument given to the Optimizer should not be None "
                                 "in dygraph mode.")
        if not isinstance(learning_rate, float) or isinstance(learning_rate, bool):
            raise TypeError("learning rate should be float or LRScheduler, got "
                            f"{type(learning_rate)} here")
        if grad_clip is not None:
            raise NotImplementedError("optbridge.compat.paddle: grad_clip is not supported; "
                                      "clip the gradients (torch.nn.utils.clip_grad_*) before "
                                      "step()")
        params = list(parameters)
        if params and isinstance(params[0], dict):
            raise NotImplementedError("optbridge.compat.paddle: parameter-group dicts are not "
                                      "supported; pass a list of tensors")
        self._learning_rate = learning_rate
        super().__init__(params, {**defaults, "lr": learning_rate})

    def get_lr(self) -> float:
        """The current learning rate."""
        return float(self.param_groups[0]["lr"])

    def set_lr(self, value: float) -> None:
        """Set the learning rate used from the next ``step()`` (Paddle's ``set_lr``)."""
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"The type of 'learning_rate' in set_lr must be float, but received "
                            f"{type(value)}.")
        for group in self.param_groups:
            group["lr"] = float(value)

    def clear_grad(self, set_to_zero: bool = True) -> None:
        """Paddle's ``clear_grad``: zero the gradients (or drop them with ``False``)."""
        self.zero_grad(set_to_none=not set_to_zero)


class RMSProp(_PaddleOptimizer):
    r"""Paddle's ``optimizer.RMSProp``: epsilon inside the root, lr inside the momentum buffer.

    Per element, with ``g`` the gradient (plus ``weight_decay*w`` when ``weight_decay`` is a
    float, Paddle's ``L2Decay``)::

        v  <- rho * v + (1 - rho) * g*g                          # v starts at zeros
        mg <- rho * mg + (1 - rho) * g                           # centered only
        b  <- momentum * b + lr * g / sqrt(v [- mg*mg] + epsilon)
        w  <- w - b

    Parameters
    ----------
    learning_rate : float
        Required; must be a ``float`` (``TypeError`` for an int, as Paddle).
    rho : float, default 0.95
    epsilon : float, default 1e-06
    momentum : float, default 0.0
        Plain momentum (Paddle's docstring says Nesterov; the kernel is plain).
    centered : bool, default False
        A bool or None (False); anything else raises ``TypeError`` at ``step()``, as Paddle.
    parameters : list of Tensor
        Required in dygraph mode (``AttributeError`` when None, as Paddle).
    weight_decay : float, optional
        Coupled L2 decay. A regularizer object raises ``NotImplementedError``; a value that is
        neither (a string) raises ``TypeError`` at ``step()``, as Paddle.
    grad_clip : None
        Only None is supported here.
    name : str, optional
        Ignored.

    Raises
    ------
    ValueError
        When ``learning_rate``, ``rho``, ``epsilon`` or ``momentum`` is None, or ``epsilon``,
        ``momentum`` or ``rho`` is negative.

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.paddle import RMSProp
    >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RMSProp(learning_rate=0.01, parameters=[w])
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> opt.clear_grad()
    """

    rule = RMSPROP

    def __init__(self, learning_rate: float, rho: float = 0.95, epsilon: float = 1.0e-6,
                 momentum: float = 0.0, centered: bool = False,
                 parameters: Sequence[Tensor] | None = None,
                 weight_decay: float | None = None, grad_clip: Any = None,
                 name: str | None = None) -> None:
        if learning_rate is None:
            raise ValueError("learning_rate is not set.")
        if rho is None:
            raise ValueError("rho is not set.")
        if epsilon is None:
            raise ValueError("epsilon is not set.")
        if momentum is None:
            raise ValueError("momentum is not set.")
        if not _holds("epsilon", lambda: 0.0 <= epsilon):
            raise ValueError("Invalid value of epsilon, expect epsilon >= 0.")
        if not _holds("momentum", lambda: 0.0 <= momentum):
            raise ValueError("Invalid value of momentum, expect momentum >= 0.")
        if not _holds("rho", lambda: 0.0 <= rho):
            raise ValueError("Invalid value of rho, expect rho >= 0.")
        # Paddle calls a weight_decay that is no float as a regularizer at the first step
        self._weight_decay_error: TypeError | None = None
        self._after_infinite_lr: set[Tensor] = set()
        if weight_decay is not None and not isinstance(weight_decay, int | float):
            if callable(weight_decay):
                raise NotImplementedError("optbridge.compat.paddle: weight_decay must be a float "
                                          "(L2Decay) or None; regularizer objects are not "
                                          "supported")
            self._weight_decay_error = TypeError(
                f"optbridge.compat.paddle.RMSProp: weight_decay {weight_decay!r} is neither a "
                f"float nor a regularizer: '{type(weight_decay).__name__}' object is not callable")
            weight_decay = None
        defaults = {"rho": rho, "epsilon": epsilon, "momentum": momentum, "centered": centered,
                        "weight_decay": float(weight_decay or 0.0)}
        self._paddle_init(learning_rate, parameters, defaults, grad_clip)

    def step(self, closure: Any = None) -> Any:
        """One update; checks what Paddle's ``rmsprop_`` kernel call checks, as it does."""
        if self._weight_decay_error is not None:
            raise self._weight_decay_error
        for group in self.param_groups:
            centered = group["centered"]
            if centered is not None and not isinstance(centered, bool):
                raise TypeError("(InvalidType) rmsprop_(): argument 'centered' (position 11) must "
                                f"be bool, but got {type(centered).__name__}")
        loss = super().step(closure)
        self._poison_after_infinite_lr()
        return loss

    @torch.no_grad()
    def _poison_after_infinite_lr(self) -> None:
        """Paddle's kernel always keeps the momentum buffer, ``b = momentum*b + lr*g/...``; a
        step with an infinite lr leaves it non-finite in every element, so with momentum 0 the
        next step's ``0 * b`` is NaN. The engine keeps no buffer without momentum: write it."""
        for group in self.param_groups:
            if group["momentum"] != 0:
                continue  # the engine keeps the buffer and computes the same
            infinite_lr = not math.isfinite(group["lr"])
            for param in group["params"]:
                if param.grad is None:
                    continue
                if param in self._after_infinite_lr:
                    param.fill_(math.nan)
                if infinite_lr:
                    self._after_infinite_lr.add(param)
                else:
                    self._after_infinite_lr.discard(param)

    def rule_options(self, group: dict) -> dict:
        return {"lr": group["lr"], "alpha": group["rho"], "eps": group["epsilon"],
                    "weight_decay": group["weight_decay"], "momentum": group["momentum"],
                    "centered": bool(group["centered"]), "maximize": False,
                    "eps_in_sqrt": True, "lr_in_momentum": True}


class Rprop(_PaddleOptimizer):
    r"""Paddle's ``optimizer.Rprop``: PyTorch's Rprop rule, step sizes clamped to
    ``learning_rate_range``.

    Parameters
    ----------
    learning_rate : float, default 0.001
        The initial step size; must satisfy
        ``0 < learning_rate_range[0] <= learning_rate <= learning_rate_range[1]``.
    learning_rate_range : tuple of float, default (1e-5, 50)
        Bounds of the step sizes (PyTorch's ``step_sizes``).
    parameters : list of Tensor
        Required (``AttributeError`` when None).
    etas : tuple of float, default (0.5, 1.2)
        ``0 < etas[0] < 1 < etas[1]``.
    grad_clip : None
        Only None is supported here.
    multi_precision : bool, default False
        Accepted; float32 parameters need no master weights.
    name : str, optional
        Ignored.

    Raises
    ------
    ValueError
        For a None ``learning_rate``, an lr outside ``learning_rate_range`` (so an lr above
        the largest step size cannot be asked for) or etas out of order.

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.paddle import Rprop
    >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Rprop(learning_rate=0.1, parameters=[w])
    >>> w.sum().backward()
    >>> opt.step()
    >>> w.detach()
    tensor([ 0.9000, -2.1000])
    """

    rule = RPROP

    def __init__(self, learning_rate: float = 0.001,
                 learning_rate_range: tuple[float, float] = (1e-5, 50),
                 parameters: Sequence[Tensor] | None = None,
                 etas: tuple[float, float] = (0.5, 1.2), grad_clip: Any = None,
                 multi_precision: bool = False, name: str | None = None) -> None:
        if learning_rate is None:
            raise ValueError("learning_rate is not set")
        if not _holds("learning_rate, learning_rate_range", lambda: 0.0 < learning_rate_range[0]
                      <= learning_rate <= learning_rate_range[1]):
            raise ValueError("'0.0 < learning_rate_range[0] <= learning_rate <= "
                             "learning_rate_range[1]' must be true")
        if not _holds("etas", lambda: 0.0 < etas[0] < 1.0 < etas[1]):
            raise ValueError("'0.0 < etas[0] < 1.0 < etas[1]' must be true")
        defaults = {"etas": tuple(float(e) for e in etas),
                        "step_sizes": tuple(float(s) for s in learning_rate_range),
                        "multi_precision": multi_precision}
        self._paddle_init(learning_rate, parameters, defaults, grad_clip)

    def rule_options(self, group: dict) -> dict:
        return {"lr": group["lr"], "etas": group["etas"], "step_sizes": group["step_sizes"],
                    "maximize": False}


def _holds(names: str, condition: Callable[[], bool]) -> bool:
    """Paddle's range check; where the value cannot be compared or indexed, Paddle's own
    TypeError or IndexError, naming the argument(s) Paddle's message leaves out."""
    try:
        return condition()
    except (TypeError, IndexError) as error:
        raise type(error)(f"Argument `{names}`: {error}") from None
