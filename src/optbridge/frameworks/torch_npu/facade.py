"""Ascend ``torch_npu.optim.NpuFusedRMSprop`` on the shared engine, on any device.

torch_npu's fused optimizers move every parameter and gradient into one flat buffer per dtype
on the first step (its documentation warns of "unpredictable results" when user code holds on
to them). The shared engine moves nothing: it updates each parameter in place, so this facade
keeps torch_npu's interface (constructor and validation, float32/float16 only, ``zero_grad``
refusing ``set_to_none=True``) without those hazards.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from optbridge.engine import RMSPROP, FusedOptimizer

__all__ = ["NpuFusedRMSprop"]

_FUSED_DTYPES = (torch.float32, torch.float16)


class NpuFusedRMSprop(FusedOptimizer):
    r"""torch_npu's ``NpuFusedRMSprop``: PyTorch's RMSprop maths, fused, params left in place.

    Parameters
    ----------
    params : iterable
        Tensors or parameter-group dicts; float32 or float16 only (checked at the first
        ``step()`` or ``zero_grad()``, as torch_npu does, with ``TypeError``).
    lr : float, default 1e-2
        (torch_npu's older Chinese docs say 1e-3; the code uses 1e-2.)
    alpha : float, default 0.99
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum : float, default 0
    centered : bool, default False

    Raises
    ------
    ValueError
        For a negative ``lr``, ``eps``, ``momentum``, ``weight_decay`` or ``alpha``.
    TypeError
        At a ``step()`` or ``zero_grad()``, for a parameter with a gradient that is neither
        float32 nor float16.
    RuntimeError
        At a step, for sparse gradients.

    Notes
    -----
    No ``maximize``, ``foreach``, ``capturable`` or ``differentiable`` arguments. State per
    parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg``
    (centered). ``zero_grad()`` zeroes the gradients in place (its default is
    ``set_to_none=False``); ``zero_grad(set_to_none=True)`` raises ``ValueError`` as in
    torch_npu. Unlike torch_npu, parameters and gradients are never moved into combined
    buffers: references to them, views of one tensor and ``p.data = ...`` keep working.

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.torch_npu import NpuFusedRMSprop
    >>> w = torch.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = NpuFusedRMSprop([w], lr=0.01)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
    >>> opt.zero_grad()
    """

    rule = RMSPROP

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                        "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def rule_options(self, group: dict) -> dict:
        return {"lr": group["lr"], "alpha": group["alpha"], "eps": group["eps"],
                    "weight_decay": group["weight_decay"],
                    # torch's rule: momentum only when > 0, so NaN means none
                    "momentum": group["momentum"] if group["momentum"] > 0 else 0.0,
                    "centered": group["centered"], "maximize": False}

    def step(self, closure: Any = None) -> Any:
        """One step over all groups; checks dtypes and sparse gradients like torch_npu.

        As in torch_npu the closure runs first, then the checks, then the update.
        """
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self._check_dtypes()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and p.grad.is_sparse:
                    raise RuntimeError("NpuFusedRMSprop does not support sparse gradients.")
        super().step()
        return loss

    def _check_dtypes(self) -> None:
        """torch_npu's rule, which it applies when it first combines the parameters that have
        a gradient into flat buffers, at the first ``step()`` or ``zero_grad()``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and p.dtype not in _FUSED_DTYPES:
                    raise TypeError("Fused optimizer's parameters must be either float32 or "
                                    f"float16, but received {p.dtype}")

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Zero the gradients in place; ``set_to_none=True`` is refused as in torch_npu."""
        if set_to_none:
            raise ValueError("set_to_none is not supported in fused optimizers")
        self._check_dtypes()
        super().zero_grad(set_to_none=False)
