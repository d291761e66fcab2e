"""PyTorch's Rprop rule (also MindSpore's and Paddle's, which add coupled weight decay)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from optbridge.engine.rules.spec import Rule, StateBuffer


def rprop_(
    param: Tensor,
    grad: Tensor,
    state: dict[str, Tensor],
    *,
    lr: float | Tensor | None = None,
    etas: tuple[float, float] = (0.5, 1.2),
    step_sizes: tuple[float, float] = (1e-6, 50.0),
    maximize: bool = False,
    weight_decay: float = 0.0,
) -> None:
    """One Rprop step, in place on ``param``, ``state["prev"]`` and ``state["step_size"]``.

    Same values as ``torch.optim.Rprop(foreach=False)``: every operation here is exact or
    rounds once, in the same order. ``lr`` only seeds ``step_size`` (see ``RPROP``).
    """
    del lr  # the step sizes carry the learning rate after initialisation
    etaminus, etaplus = etas
    step_size_min, step_size_max = step_sizes
    if maximize:
        grad = -grad
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    prev = state["prev"]
    step_size = state["step_size"]

    # Under autograd (differentiable=True) mul saves prev, which is overwritten below.
    sign = grad.mul(prev.clone() if torch.is_grad_enabled() else prev).sign()
    # torch.optim.Rprop assigns the factors one mask after the other, each mask read from the
    # result of the previous assignment: an etaplus below 0 is then overwritten by etaminus,
    # an eta equal to 0 by 1. torch.where in the same order gives the same values for any etas.
    factor = torch.where(sign.gt(0), etaplus, sign)
    factor = torch.where(factor.lt(0), etaminus, factor)
    factor = torch.where(factor.eq(0), 1, factor)
    step_size.mul_(factor).clamp_(step_size_min, step_size_max)
    grad = torch.where(factor.eq(etaminus), 0, grad)
    param.addcmul_(grad.sign(), step_size, value=-1)
    prev.copy_(grad)


@dataclass(frozen=True)
class RpropOptions:
    """The options of ``rprop_`` for one param group."""

    lr: float | Tensor | None = None
    etas: tuple[float, float] = (0.5, 1.2)
    step_sizes: tuple[float, float] = (1e-6, 50.0)
    maximize: bool = False
    weight_decay: float = 0.0


RPROP = Rule(
    name="rprop",
    update=rprop_,
    options=RpropOptions,
    state=(StateBuffer("prev", "zeros"), StateBuffer("step_size", "lr")),
)
"""PyTorch-named Rprop state: ``prev`` (zeros) and ``step_size`` (the lr)."""
