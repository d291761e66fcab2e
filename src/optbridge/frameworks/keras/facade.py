"""Keras 3 ``keras.optimizers.RMSprop`` (= ``tf.keras.optimizers.RMSprop`` in TF 2.21) on the
shared engine. Keras' API: ``apply_gradients([(grad, variable), ...])`` or ``apply(grads,
variables)``; the variables are torch tensors here. Keras 3 optimizers have no ``minimize``."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import Tensor

from optbridge.engine import RMSPROP, FusedOptimizer
from optbridge.frameworks.keras import schedules

__all__ = ["RMSprop", "UnimplementedError", "schedules"]


class UnimplementedError(Exception):
    """TF's ``tf.errors.UnimplementedError``, which Keras on TF raises where TF has no kernel
    for an operation: here, casting a string ``weight_decay`` to a float."""


class _KerasRMSpropEngine(FusedOptimizer):
    """The engine side: one group with weight decay, one without (exclusions)."""

    rule = RMSPROP

    def rule_options(self, group: dict) -> dict:
        return {"lr": group["lr"], "alpha": group["rho"], "eps": group["epsilon"],
                    "weight_decay": group["weight_decay"], "momentum": group["momentum"],
                    "centered": group["centered"], "maximize": False, "eps_in_sqrt": True,
                    "lr_in_momentum": True, "decoupled_weight_decay": True}


class RMSprop:
    r"""Keras 3's ``RMSprop``: epsilon inside the root, lr inside the momentum buffer,
    decoupled weight decay.

    Per variable, with ``lr`` the current learning rate (float32)::

        w <- w - w * weight_decay * lr                     # only if weight_decay is set
        v <- rho * v + (1 - rho) * g*g                     # v starts at zeros
        a <- rho * a + (1 - rho) * g                       # centered only
        inc = lr * g / sqrt(v [- a*a] + epsilon)
        m <- momentum * m + inc;  w <- w - m               # momentum > 0
        w <- w - inc                                       # otherwise

    Parameters
    ----------
    learning_rate : float, LearningRateSchedule-like or callable, default 0.001
        A ``float`` (an int raises ``ValueError``, as Keras), a schedule object (e.g.
        ``schedules.ExponentialDecay``, serialised by ``get_config`` as Keras does) called with
        the iteration count, or a callable with no arguments.
    rho : float, default 0.9
    momentum : float, default 0.0
        Used only when > 0 (Keras' docstring talks of "1 - momentum"; the code uses
        ``momentum``).
    epsilon : float, default 1e-07
    centered : bool, default False
    weight_decay : float, optional
        Decoupled: ``w -= w * weight_decay * lr`` before the update.
    clipnorm, clipvalue, global_clipnorm : float, optional
        Gradient clipping as Keras (at most one of them).
    use_ema, ema_momentum, ema_overwrite_frequency
        Validated as Keras; ``use_ema=True`` is not supported by this facade
        (``NotImplementedError`` at the first update).
    loss_scale_factor : float, optional
        Gradients are divided by it before anything else.
    gradient_accumulation_steps : int, optional
        Validated (>= 2) as Keras; not supported by this facade (``NotImplementedError`` at
        the first update).
    name : str, optional
        Defaults to ``"rmsprop"``.
    **kwargs
        Only the legacy ``decay`` is accepted (ignored with a warning), as Keras.

    Examples
    --------
    >>> import torch
    >>> from optbridge.compat.keras import RMSprop
    >>> w = torch.tensor([1.0, -2.0])
    >>> opt = RMSprop(learning_rate=0.01)
    >>> _ = opt.apply_gradients([(2 * w, w)])
    >>> int(opt.iterations)
    1
    """

    def __init__(self, learning_rate: float | Callable = 0.001, rho: float = 0.9,
                 momentum: float = 0.0, epsilon: float = 1e-7, centered: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=2)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError("`ema_momentum` must be in the range [0, 1]. Received: "
                                 f"ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        if name is not None and (not isinstance(name, str) or "/" in name):
            raise ValueError("Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name}")
        self.name = name or "rmsprop"
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum = use_ema, ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._learning_rate: Any = None
        self.learning_rate = learning_rate
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        self.iterations = torch.zeros((), dtype=torch.int64)
        self.built = False
        self._engine: _KerasRMSpropEngine | None = None
        self._variables: list[Tensor] = []
        self._excluded_ids: set[int] = set()
        self._excluded_patterns: list[str] = []

    # -- learning rate -------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The current learning rate (a schedule is evaluated at ``iterations``)."""
        lr = self._learning_rate
        if hasattr(lr, "get_config") or _takes_step(lr):
            return float(lr(int(self.iterations)))
        if callable(lr):
            return float(lr())
        return lr

    @learning_rate.setter
    def learning_rate(self, learning_rate: float | Callable) -> None:
        if callable(learning_rate):
            self._learning_rate = learning_rate
            return
        if isinstance(self._learning_rate, float) and isinstance(learning_rate, int | float):
            self._learning_rate = float(learning_rate)  # Keras assigns into its variable
            return
        if not isinstance(learning_rate, float):  # Keras raises ValueError, not TypeError
            raise ValueError(  # noqa: TRY004
                "Argument `learning_rate` should be float, or an instance of "
                             "LearningRateSchedule, or a callable (that takes in the current "
                             "iteration value and returns the corresponding learning rate "
                             f"value). Received instead: learning_rate={learning_rate}")
        self._learning_rate = learning_rate

    # -- building and updating -------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list: Iterable[Tensor] | None = None,
                                  var_names: Iterable[str] | None = None) -> None:
        """Exclude variables (by identity) or names (regex search, for ``(name, tensor)``
        variables given to :meth:`build`) from weight decay. Call before building."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._excluded_ids |= {id(v) for v in var_list or ()}
        self._excluded_patterns += list(var_names or ())

    def build(self, var_list: Sequence[Tensor | tuple[str, Tensor]]) -> None:
        """Create the state for ``var_list`` (tensors or ``(name, tensor)`` pairs)."""
        if self.built:
            return
        self._check_hyperparameters()
        named = [v if isinstance(v, tuple) else ("", v) for v in var_list]
        decayed, excluded = [], []
        for name, v in named:
            skip = id(v) in self._excluded_ids or any(
                re.search(p, name) for p in self._excluded_patterns)
            (excluded if skip else decayed).append(v)
        groups = [{"params": ps, "weight_decay": wd} for ps, wd in
                  ((decayed, float(self.weight_decay or 0.0)), (excluded, 0.0)) if ps]
        self._variables = [v for _, v in named]
        # Keras uses momentum only when it is > 0 (so NaN and negative values mean none), and
        # `centered` by its truth value.
        momentum = float(self.momentum) if self.momentum > 0 else 0.0
        self._engine = _KerasRMSpropEngine(groups, {
            "lr": self.learning_rate, "rho": float(self.rho), "epsilon": float(self.epsilon),
            "momentum": momentum, "centered": _truth(self.centered, "centered"),
            "weight_decay": 0.0})
        self.built = True

    def _check_hyperparameters(self) -> None:
        """What Keras finds wrong at the first update (it validates none of these when
        constructed), with its exception types; each message names the argument."""
        for name in ("rho", "epsilon"):
            _check_number(name, getattr(self, name))
        if isinstance(self.weight_decay, str):  # Keras casts it with tf.cast, not promotion
            raise UnimplementedError("Argument `weight_decay`: Cast string to float is not "
                                     "supported")
        if self.weight_decay is not None:
            _check_number("weight_decay", self.weight_decay)
        for name in ("momentum", "clipnorm", "clipvalue", "global_clipnorm"):
            value = getattr(self, name)
            if name == "momentum" or value is not None:
                try:
                    value > 0  # noqa: B015  (Keras compares each of these with 0)
                except TypeError as error:
                    raise TypeError(f"Argument `{name}`: {error}") from None

    @property
    def variables(self) -> list[Tensor]:
        """The optimizer's state tensors (Keras' ``velocity``, ``momentum``,
        ``average_gradient``), per variable."""
        if self._engine is None:
            return []
        return [t for v in self._variables for t in self._engine.state[v].values()
                if t.dim() == v.dim()]

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Tensor | None, Tensor]]) -> Tensor:
        """Apply ``(gradient, variable)`` pairs; returns ``iterations`` as Keras does."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self.iterations

    def apply(self, grads: Sequence[Tensor | None],
              trainable_variables: Sequence[Tensor] | None = None) -> None:
        """Apply ``grads`` to ``trainable_variables`` (or the variables built with)."""
        if len(grads) == 0:
            return
        if self.use_ema or self.gradient_accumulation_steps:
            raise NotImplementedError("optbridge.compat.keras.RMSprop: use_ema and "
                                      "gradient_accumulation_steps are not supported")
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first. ")
            trainable_variables = self._variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        known = {id(v) for v in self._variables}
        for v in trainable_variables:
            if id(v) not in known:
                raise ValueError(f"Unknown variable of shape {tuple(v.shape)}. This optimizer "
                                 "can only be called for the variables it was originally built "
                                 "with. When working with a new set of variables, you should "
                                 "recreate a new optimizer instance.")
        pairs = [(g, v) for g, v in zip(grads, trainable_variables) if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable.")
        grads = self._clip([torch.as_tensor(g, device=v.device, dtype=v.dtype)
                            for g, v in pairs])
        assert self._engine is not None
        with torch.no_grad():
            for v in self._variables:
                v.grad = None
            for g, (_, v) in zip(grads, pairs):
                v.grad = g
            lr = self.learning_rate
            for group in self._engine.param_groups:
                group["lr"] = lr
            self._engine.step()
        self.iterations += 1

    def _clip(self, grads: list[Tensor]) -> list[Tensor]:
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        if self.clipnorm is not None and self.clipnorm > 0:
            grads = [_clip_by_norm(g, self.clipnorm) for g in grads]
        elif self.global_clipnorm is not None and self.global_clipnorm > 0:
            norm = torch.sqrt(sum((g * g).sum() for g in grads))
            scale = self.global_clipnorm / torch.maximum(norm, torch.tensor(
                self.global_clipnorm, dtype=norm.dtype, device=norm.device))
            grads = [g * scale for g in grads]
        elif self.clipvalue is not None and self.clipvalue > 0:
            grads = [g.clamp(-self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def get_config(self) -> dict:
        """Keras-style configuration dictionary."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):  # serialised as Keras does
            lr = {"module": "keras.optimizers.schedules", "class_name": type(lr).__name__,
                  "config": lr.get_config(), "registered_name": None}
        elif callable(lr):
            lr = repr(lr)
        return {"name": self.name, "learning_rate": lr,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps,
                "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


def _check_number(name: str, value: Any) -> None:
    """A hyperparameter Keras converts to a float tensor: refuse what that conversion refuses."""
    if value is None:
        raise ValueError(f"Argument `{name}`: Attempt to convert a value (None) with an "
                         "unsupported type (<class 'NoneType'>) to a Tensor.")
    if isinstance(value, str):
        raise ValueError(  # noqa: TRY004  (Keras raises ValueError)
            f"Argument `{name}`: dtype='string' is not a valid dtype for Keras type "
                         "promotion.")
    try:
        float(value)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"Argument `{name}`: cannot be converted to a float tensor "
                         f"(got {value!r}): {error}") from None


def _truth(value: Any, name: str) -> bool:
    """``bool(value)`` as Keras' ``if value:`` sees it; an array of several values is ambiguous."""
    try:
        return bool(value)
    except (ValueError, RuntimeError):
        raise ValueError(f"Argument `{name}`: The truth value of an array with more than one "
                         "element is ambiguous. Use a.any() or a.all()") from None


def _clip_by_norm(g: Tensor, clip: float) -> Tensor:
    # Keras' clip_by_norm: g * clip / max(||g||, clip)
    norm = torch.sqrt((g * g).sum())
    return g * clip / torch.maximum(norm, torch.tensor(clip, dtype=g.dtype, device=g.device))


def _takes_step(fn: Any) -> bool:
    """True for a schedule-like callable that takes the iteration count."""
    import inspect

    if not callable(fn):
        return False
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.default is inspect.Parameter.empty and p.kind in (
        p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
