"""FusedRMSprop: ``torch.optim.RMSprop``'s API and results, one fused pass per param."""

from __future__ import annotations

from typing import Any

from torch import Tensor
from torch.optim.optimizer import ParamsT

from optbridge.engine.rules import RMSPROP
from optbridge.optim._common import TorchDropIn


class FusedRMSprop(TorchDropIn):
    r"""Drop-in replacement for :class:`torch.optim.RMSprop` with a fused update.

    Same arguments, defaults, validation errors, ``param_groups``, ``state`` keys and
    ``state_dict`` format as ``torch.optim.RMSprop`` in torch 2.13; a state dict saved by one
    loads into the other and continues on the same trajectory. Params, grads and state stay
    where they are; each step updates every param in place in one pass: a compiled
    C++/OpenMP kernel on CPU that reads all grads and state itself (float32 and float64 with
    torch's operations and rounding except the square root, which is IEEE instead of torch's
    MKL one and may differ by one ulp; ``OPTBRIDGE_EXACT_SQRT=1`` uses torch's and is
    bit-identical, about 3x slower; float16 and bfloat16 computed in float32 and rounded once,
    as torch's fused optimizers), Triton kernels on CUDA, and torch's own ops per param
    elsewhere (other devices, non-dense params, ``differentiable=True``).

    Parameters
    ----------
    params : iterable
        Parameters, named parameters, or dicts defining parameter groups.
    lr : float or Tensor, default 1e-2
        Learning rate (a one-element tensor is accepted, as in torch).
    alpha : float, default 0.99
        Smoothing constant of the squared-gradient average.
    eps : float, default 1e-8
        Added to the root of the average (outside the square root, as torch).
    weight_decay : float, default 0
        L2 penalty added to the gradient.
    momentum : float, default 0
        Momentum factor.
    centered : bool, default False
        Normalize by the estimated variance of the gradient instead of its second moment.
    capturable : bool, default False
        Accepted for compatibility: keeps ``state["step"]`` on the param's device as torch
        does, and raises torch's ``AssertionError`` on devices torch does not support. The
        step itself reads ``lr`` on the host, so CUDA-graph capture is not supported.
    foreach : bool, optional
        Accepted and ignored: every step is fused.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    differentiable : bool, default False
        Run the step under autograd (the rule's torch ops, per param), as torch does.

    Raises
    ------
    ValueError
        For a negative ``lr``, ``eps``, ``momentum``, ``weight_decay`` or ``alpha``, or a
        tensor ``lr`` with more than one element (torch's messages).
    RuntimeError
        At ``step`` for sparse gradients ("RMSprop does not support sparse gradients").

    Notes
    -----
    Nothing is moved or replaced: ``p``, ``p.grad``, views of one base, ``p.data = ...`` and
    ``zero_grad`` in both modes behave as with ``torch.optim.RMSprop``. Complex params are
    updated as (real, imag) pairs and DTensor params (FSDP2) on their local shards, as torch.

    Examples
    --------
    >>> import torch
    >>> from optbridge.optim import FusedRMSprop
    >>> model = torch.nn.Linear(4, 2)
    >>> opt = FusedRMSprop(model.parameters(), lr=1e-2, momentum=0.9)
    >>> model(torch.randn(8, 4)).pow(2).mean().backward()
    >>> opt.step()
    """

    rule = RMSPROP
    display_name = "RMSprop"

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        # Same checks, order and messages as torch.optim.RMSprop.
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)

    def rule_options(self, group: dict[str, Any]) -> dict[str, Any]:
        """The ``rmsprop_`` options of a group: PyTorch's rule, all variant flags off."""
        return {
            "lr": group["lr"],
            "alpha": group["alpha"],
            "eps": group["eps"],
            "weight_decay": group["weight_decay"],
            "momentum": group["momentum"],
            "centered": group["centered"],
            "maximize": group["maximize"],
        }
