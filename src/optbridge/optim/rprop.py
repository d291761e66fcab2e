"""FusedRprop: ``torch.optim.Rprop``'s API and results, one fused pass per param."""

from __future__ import annotations

from typing import Any

from torch import Tensor
from torch.optim.optimizer import ParamsT

from optbridge.engine.rules import RPROP
from optbridge.optim._common import TorchDropIn


class FusedRprop(TorchDropIn):
    r"""Drop-in replacement for :class:`torch.optim.Rprop` with a fused update.

    Same arguments, defaults, validation errors, ``state`` keys (``step``, ``prev``,
    ``step_size``) and ``state_dict`` format as ``torch.optim.Rprop`` in torch 2.13; state
    dicts load both ways. Every operation of Rprop is exact or rounds once, so float32 and
    float64 results are bit-identical to ``torch.optim.Rprop`` on the CPU kernel and on the
    torch-ops path, NaN and inf included (float16 and bfloat16 are computed in float32 by the
    kernel, as torch's fused optimizers; Triton on CUDA).

    Parameters
    ----------
    params : iterable
        Parameters, named parameters, or dicts defining parameter groups.
    lr : float or Tensor, default 1e-2
        Initial step size of every element.
    etas : tuple of float, default (0.5, 1.2)
        Multiplicative decrease and increase factors (``0 < etaminus < 1 < etaplus``).
    step_sizes : tuple of float, default (1e-6, 50)
        Minimal and maximal step sizes (not validated, as in torch).
    capturable : bool, default False
        Accepted for compatibility (``state["step"]`` on the param's device; torch's
        ``AssertionError`` on unsupported devices); CUDA-graph capture is not supported.
    foreach : bool, optional
        Accepted and ignored: every step is fused.
    maximize : bool, default False
        Maximize the objective instead of minimizing it.
    differentiable : bool, default False
        Run the step under autograd (the rule's torch ops, per param), as torch does.

    Raises
    ------
    ValueError
        For a negative ``lr``, etas outside ``0 < etaminus < 1 < etaplus``, or a tensor
        ``lr`` with more than one element (torch's messages).
    TypeError
        At ``step``, for a tensor ``lr`` that requires grad (torch's ``full_like`` error).
    RuntimeError
        At ``step`` for sparse gradients ("Rprop does not support sparse gradients").

    Notes
    -----
    Nothing is moved or replaced; see :class:`optbridge.optim.FusedRMSprop`.

    Examples
    --------
    >>> import torch
    >>> from optbridge.optim import FusedRprop
    >>> model = torch.nn.Linear(4, 2)
    >>> opt = FusedRprop(model.parameters(), lr=1e-3, etas=(0.5, 1.2))
    >>> model(torch.randn(8, 4)).pow(2).mean().backward()
    >>> opt.step()
    """

    rule = RPROP
    display_name = "Rprop"

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        # Same checks, order and messages as torch.optim.Rprop.
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def rule_options(self, group: dict[str, Any]) -> dict[str, Any]:
        """The ``rprop_`` options of a group."""
        return {
            "lr": group["lr"],
            "etas": group["etas"],
            "step_sizes": group["step_sizes"],
            "maximize": group["maximize"],
        }
