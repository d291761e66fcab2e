"""Generalized RMSprop: PyTorch's rule by default, other frameworks' variants by flags."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from optbridge.engine.rules.spec import Rule, StateBuffer, partially_overlap

#: torch's message for an in-place op whose input partly overlaps its output.
OVERLAP_MESSAGE = ("unsupported operation: some elements of the input tensor and the written-to "
                   "tensor refer to a single memory location. Please clone() the tensor before "
                   "performing the operation.")


def rmsprop_(
    param: Tensor,
    grad: Tensor,
    state: dict[str, Tensor],
    *,
    lr: float | Tensor,
    alpha: float,
    eps: float,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    centered: bool = False,
    maximize: bool = False,
    eps_in_sqrt: bool = False,
    lr_in_momentum: bool = False,
    decoupled_weight_decay: bool = False,
    nesterov: bool = False,
    bias_correction: bool = False,
    step: int | Tensor | None = None,
) -> None:
    """One RMSprop step, in place on ``param`` and ``state``; ``grad`` is left untouched.

    With the default flags the operations and their order are those of
    ``torch.optim.RMSprop(foreach=False)``, so results are bit-identical to it.
    See ``optbridge.engine`` for the meaning of each flag.
    """
    if isinstance(lr, Tensor):
        # torch.optim passes a tensor lr to the ops as a Scalar, i.e. its value: same here.
        lr = lr.item()
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            # Keras order: w <- w - (w * wd) * lr, before the moments.
            param.sub_(param.mul(weight_decay).mul_(lr))
        else:
            grad = grad.add(param, alpha=weight_decay)

    square_avg = state["square_avg"]
    square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)

    if centered:
        grad_avg = state["grad_avg"]
        grad_avg.lerp_(grad, 1 - alpha)
        avg = square_avg.addcmul(grad_avg, grad_avg, value=-1)
    else:
        avg = square_avg
    if bias_correction:
        if step is None:
            raise ValueError("rmsprop_: bias_correction=True needs step (the count after this step)")
        avg = avg / (1 - alpha ** (float(step) if isinstance(step, Tensor) else step))
    if eps_in_sqrt:
        avg = avg.add(eps).sqrt_()
    else:
        avg = avg.sqrt_() if avg is not square_avg else avg.sqrt()
        # Under autograd (differentiable=True) sqrt's output is saved: add out of place.
        avg = avg.add(eps) if torch.is_grad_enabled() else avg.add_(eps)

    if momentum > 0:
        buf = state["momentum_buffer"]
        if lr_in_momentum:
            update = grad.div(avg).mul_(lr)
            buf.mul_(momentum).add_(update)
            if nesterov:
                param.sub_(buf.mul(momentum).add_(update))
            else:
                param.sub_(buf)
        else:
            buf.mul_(momentum).addcdiv_(grad, avg)
            if nesterov:
                param.sub_(buf.mul(momentum).addcdiv_(grad, avg).mul_(lr))
            else:
                param.add_(buf, alpha=-lr)
    else:
        param.addcdiv_(grad, avg, value=-lr)


@dataclass(frozen=True)
class RMSpropOptions:
    """The options of ``rmsprop_`` for one param group (see ``optbridge.engine``)."""

    lr: float | Tensor
    alpha: float
    eps: float
    weight_decay: float = 0.0
    momentum: float = 0.0
    centered: bool = False
    maximize: bool = False
    eps_in_sqrt: bool = False
    lr_in_momentum: bool = False
    decoupled_weight_decay: bool = False
    nesterov: bool = False
    bias_correction: bool = False
    #: The step count after this step, read only with ``bias_correction`` (the optimizer
    #: passes each param's own count).
    step: int | Tensor | None = None

    @property
    def uses_momentum(self) -> bool:
        """Whether a momentum buffer exists: ``momentum > 0``, so NaN means none, as torch."""
        return bool(self.momentum > 0)


def rmsprop_check(param: Tensor, grad: Tensor, options: RMSpropOptions) -> None:
    """Raise torch's RuntimeError where ``rmsprop_`` would write the caller's own grad into a
    param it partly overlaps (``param.addcdiv_(grad, ...)``): no momentum, no maximize and no
    coupled weight decay, each of which would hand a new tensor instead."""
    coupled_decay = options.weight_decay != 0 and not options.decoupled_weight_decay
    if options.uses_momentum or options.maximize or coupled_decay:
        return
    if partially_overlap(param, grad):
        raise RuntimeError(OVERLAP_MESSAGE)


RMSPROP = Rule(
    name="rmsprop",
    update=rmsprop_,
    options=RMSpropOptions,
    check=rmsprop_check,
    state=(
        StateBuffer("square_avg", "zeros"),
        StateBuffer("momentum_buffer", "zeros", when=lambda o: o.uses_momentum),
        StateBuffer("grad_avg", "zeros", when=lambda o: bool(o.centered)),
    ),
)
"""PyTorch-named RMSprop state: ``square_avg``, ``momentum_buffer``, ``grad_avg``."""
