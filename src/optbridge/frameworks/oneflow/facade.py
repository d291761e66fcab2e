"""OneFlow ``oneflow.optim.RMSprop`` on the shared engine (derived from OneFlow's source).

OneFlow cannot be installed on our machines (PyPI holds a placeholder), so this facade follows
``python/oneflow/nn/optimizer/rmsprop.py`` and the ``RmsPropUpdateFunctor`` kernel; its goldens
are derived from that formula and marked so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from optbridge.engine import RMSPROP, FusedOptimizer

__all__ = ["RMSprop"]


class RMSprop(FusedOptimizer):
    r"""OneFlow's ``optim.RMSprop``: epsilon inside the root, no momentum.

    Per element, with ``g`` the gradient plus coupled weight decay (``g + weight_decay*w``,
    OneFlow's ``l2``)::

        v  <- (1 - alpha) * g*g + alpha * v                       # v starts at zeros
        mg <- (1 - alpha) * g + alpha * mg                        # centered only
        w  <- w - lr * g * rsqrt(v [- mg*mg] + eps)

    Parameters
    ----------
    params : iterable
        Tensors or torch-style parameter-group dicts.
    lr : float, default 0.001
        OneFlow's docstring says 1e-2; the code uses 0.001.
    alpha : float, default 0.99
    eps : float, default 1e-08
    weight_decay : float, default 0
    momentum : float, default 0.0
        Anything but 0 raises ``AssertionError``, as in OneFlow (whose docstring nevertheless
        describes Nesterov momentum).
    centered : bool, default False
        Tested for truth at each step, as OneFlow's ``if``.
    contiguous_params : bool, default False
        OneFlow's flag to keep each group's parameters in one contiguous tensor. The shared
        engine always does that, so it is accepted and recorded but changes nothing.

    Raises
    ------
    AssertionError
        For negative ``lr``, ``alpha``, ``eps`` or ``weight_decay``, or ``momentum != 0``, as
        OneFlow's ``assert`` statements do.

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.oneflow import RMSprop
    >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    """

    rule = RMSPROP

    def __init__(self, params: Iterable[Any], lr: float = 0.001, alpha: float = 0.99,
                 eps: float = 1e-08, weight_decay: float = 0, momentum: float = 0.0,
                 centered: bool = False, contiguous_params: bool = False) -> None:
        # OneFlow validates with bare asserts; keep their exception type and messages, but
        # raise explicitly so the checks survive ``python -O``.
        _check("lr", lambda: lr >= 0.0, f"Invalid learning rate: {lr}")
        _check("alpha", lambda: alpha >= 0.0, f"Invalid alpha value: {alpha}")
        _check("eps", lambda: eps >= 0.0, f"Invalid epsilon value: {eps}")
        _check("weight_decay", lambda: weight_decay >= 0.0,
               f"Invalid weight_decay value: {weight_decay}")
        _check("momentum", lambda: momentum == 0.0, "Not support momentum greater than zeros now!")
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                        "centered": centered, "contiguous_params": contiguous_params}
        super().__init__(params, defaults)

    def rule_options(self, group: dict) -> dict:
        return {"lr": group["lr"], "alpha": group["alpha"], "eps": group["eps"],
                    "weight_decay": group["weight_decay"], "momentum": 0.0,
                    "centered": _truth("centered", group["centered"]), "maximize": False,
                    "eps_in_sqrt": True}


def _check(name: str, condition: Callable[[], bool], message: str) -> None:
    """OneFlow's ``assert``; where the comparison itself fails (None, a string), Python's
    error, as in OneFlow, naming the argument its message leaves out."""
    try:
        holds = condition()
    except (TypeError, ValueError, RuntimeError) as error:
        raise type(error)(f"Argument `{name}`: {error}") from None
    if not holds:
        raise AssertionError(message)


def _truth(name: str, value: Any) -> bool:
    """``if param_group["centered"]:`` at each step, as OneFlow tests it."""
    try:
        return bool(value)
    except (TypeError, ValueError, RuntimeError) as error:
        raise type(error)(f"Argument `{name}`: {error}") from None
