"""TensorFlow 1 ``tf.compat.v1.train.RMSPropOptimizer`` (TF 2.21) on the shared engine.

TF1's API on torch tensors: ``apply_gradients([(grad, var), ...])``, ``compute_gradients`` and
``minimize`` with a loss callable (as in TF2 eager mode), ``get_slot(var, name)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import Tensor

from optbridge.engine import RMSPROP, FusedOptimizer

__all__ = ["RMSPropOptimizer", "UnimplementedError"]


class UnimplementedError(Exception):
    """TF's ``tf.errors.UnimplementedError``, which TF raises where it has no kernel for an
    operation: here, casting a string hyperparameter to a float."""

Number = float | Callable[[], float]
# TF1 slot names -> engine state names
_SLOTS = {"rms": "square_avg", "momentum": "momentum_buffer", "mg": "grad_avg"}


class _Tf1RMSPropEngine(FusedOptimizer):
    rule = RMSPROP

    def rule_options(self, group: dict) -> dict:
        return {"lr": group["lr"], "alpha": group["decay"], "eps": group["epsilon"],
                    "momentum": group["momentum"], "centered": group["centered"], "maximize": False,
                    "eps_in_sqrt": True, "lr_in_momentum": True}

    def state_init(self, group: dict) -> dict[str, str | float]:
        return {"square_avg": "ones"}  # TF1's ``rms`` slot starts at ones


class RMSPropOptimizer:
    r"""TF1's ``RMSPropOptimizer``: accumulator from ones, epsilon inside the root, lr inside
    the momentum buffer (the same maths as MindSpore's ``nn.RMSProp``).

    Per element::

        ms  <- ms + (g*g - ms) * (1 - decay)                     # ms starts at ones
        mg  <- mg + (g - mg) * (1 - decay)                       # centered only
        mom <- momentum * mom + lr * g / sqrt(ms [- mg*mg] + epsilon)
        var <- var - mom

    Parameters
    ----------
    learning_rate : float or callable
        Required. A callable (no arguments) is evaluated at every update, as in eager TF.
    decay, momentum, epsilon : float or callable, defaults 0.9, 0.0, 1e-10
        No validation, as TF1 (negative values are accepted).
    use_locking : bool, default False
        Accepted; it has no effect here.
    centered : bool, default False
    name : str, default "RMSProp"

    Notes
    -----
    TF1's migration guide says this "still matches" Keras' RMSprop; it does not: TF1 starts
    ``rms`` at ones, Keras at zeros.

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.tf1 import RMSPropOptimizer
    >>> w = torch.tensor([1.0, -2.0])
    >>> opt = RMSPropOptimizer(learning_rate=0.01)
    >>> opt.minimize(lambda: (w ** 2).sum(), var_list=[w])
    >>> opt.get_slot(w, "rms")
    tensor([1.3000, 2.5000])
    """

    def __init__(self, learning_rate: Number, decay: Number = 0.9, momentum: Number = 0.0,
                 epsilon: Number = 1e-10, use_locking: bool = False, centered: bool = False,
                 name: str = "RMSProp") -> None:
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._learning_rate, self._decay = learning_rate, decay
        self._momentum, self._epsilon = momentum, epsilon
        self._use_locking, self._centered, self._name = use_locking, centered, name
        self._engine: _Tf1RMSPropEngine | None = None
        self._known: set[int] = set()
        self._nan_momentum: set[int] = set()  # variables whose momentum slot TF made NaN

    def get_name(self) -> str:
        return self._name

    def _hyper(self) -> dict[str, float]:
        """The hyperparameters of this update, refused where TF refuses them (TF validates
        nothing when the optimizer is made, everything when it first converts them)."""
        if not isinstance(self._use_locking, bool):
            raise TypeError(f"Expected bool for argument 'use_locking' not {self._use_locking!r}.")
        if not isinstance(self._name, str):
            raise TypeError(f"Argument `name`: can only concatenate str (not "
                            f"\"{type(self._name).__name__}\") to str")
        return {"lr": _number("learning_rate", self._learning_rate),
                "decay": _number("decay", self._decay),
                "momentum": _number("momentum", self._momentum),
                "epsilon": _number("epsilon", self._epsilon)}

    def compute_gradients(self, loss: Callable[[], Tensor],
                          var_list: Sequence[Tensor] | None = None,
                          **unused: Any) -> list[tuple[Tensor | None, Tensor]]:
        """``[(grad, var), ...]`` of the loss callable (eager TF semantics) for ``var_list``."""
        if not callable(loss):
            raise TypeError("`loss` must be a callable returning a scalar tensor (eager mode); "
                            f"got {type(loss).__name__}")
        if var_list is None:
            raise ValueError("var_list is required: torch tensors are not tracked by a tape")
        var_list = list(var_list)
        was_tracked = [v.requires_grad for v in var_list]
        try:
            with torch.enable_grad():
                for v in var_list:
                    v.requires_grad_(True)  # the "tape" watches the variables
                value = loss()
                grads = torch.autograd.grad(value, var_list, allow_unused=True)
        finally:
            for v, tracked in zip(var_list, was_tracked):
                v.requires_grad_(tracked)
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Tensor | None, Tensor]],
                        global_step: Tensor | None = None, name: str | None = None) -> None:
        """Apply ``(gradient, variable)`` pairs; ``global_step`` (a tensor) is incremented."""
        pairs = list(grads_and_vars)
        if not pairs:
            raise ValueError("No variables provided.")
        present = [(g, v) for g, v in pairs if g is not None]
        if not present:
            raise ValueError("No gradients provided for any variable: "
                             f"{[tuple(v.shape) for _, v in pairs]}.")
        hyper = self._hyper()
        # TF1 always runs the momentum update: with a NaN momentum every updated element and
        # its momentum slot become NaN. The engine has no momentum for NaN (as torch), so that
        # outcome is written here.
        nan_momentum = math.isnan(hyper["momentum"])
        if nan_momentum:
            hyper["momentum"] = 0.0
        new = [v for _, v in present if id(v) not in self._known]
        if self._engine is None:
            centered = _truth(self._centered, "centered")
            self._engine = _Tf1RMSPropEngine(new, dict(**hyper, centered=centered))
        elif new:
            self._engine.add_param_group({"params": new})
        self._known |= {id(v) for v in new}
        with torch.no_grad():
            for group in self._engine.param_groups:
                group.update(hyper)
                for v in group["params"]:
                    v.grad = None
            for g, v in present:
                v.grad = torch.as_tensor(g, device=v.device, dtype=v.dtype)
            self._engine.step()
            if nan_momentum:
                self._nan_momentum |= {id(v) for _, v in present}
                for _, v in present:
                    v.fill_(math.nan)
            if global_step is not None:
                global_step += 1

    def minimize(self, loss: Callable[[], Tensor], global_step: Tensor | None = None,
                 var_list: Sequence[Tensor] | None = None, gate_gradients: int = 1,
                 aggregation_method: Any = None, colocate_gradients_with_ops: bool = False,
                 name: str | None = None, grad_loss: Any = None) -> None:
        """``compute_gradients`` then ``apply_gradients``, as TF1."""
        grads_and_vars = self.compute_gradients(loss, var_list=var_list)
        self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def get_slot_names(self) -> list[str]:
        return ["mg", "momentum", "rms"] if self._centered else ["momentum", "rms"]

    def get_slot(self, var: Tensor, name: str) -> Tensor | None:
        """TF1's slot ``name`` (``rms``, ``momentum``, ``mg``) of ``var``, or None."""
        if self._engine is None or name not in _SLOTS:
            return None
        state = self._engine.state.get(var, {})
        if name == "momentum" and id(var) in self._nan_momentum:
            return torch.full_like(var, math.nan)
        if name == "momentum" and "momentum_buffer" not in state and "square_avg" in state:
            return torch.zeros_like(var)  # TF1 keeps a zero slot even with momentum 0
        return state.get(_SLOTS[name])


def _number(name: str, value: Number) -> float:
    """A hyperparameter as TF converts it to a float tensor (a callable is called first)."""
    value = value() if callable(value) else value
    if value is None:
        raise ValueError(f"Argument `{name}`: Attempt to convert a value (None) with an "
                         "unsupported type (<class 'NoneType'>) to a Tensor.")
    if isinstance(value, str):
        raise UnimplementedError(f"Argument `{name}`: Cast string to float is not supported")
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"Argument `{name}`: cannot be converted to a float tensor "
                         f"(got {value!r}): {error}") from None


def _truth(value: Any, name: str) -> bool:
    """``bool(value)`` as TF's ``if centered:`` sees it; several values are ambiguous."""
    try:
        return bool(value)
    except (ValueError, RuntimeError):
        raise ValueError(f"Argument `{name}`: The truth value of an array with more than one "
                         "element is ambiguous. Use a.any() or a.all()") from None
