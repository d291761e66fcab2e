"""What every MindSpore ``nn.Optimizer`` does before its rule: parameter groups, dynamic
learning rates, weight decay, gradient centralization, loss scale, and ``optimizer(grads)``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from optbridge.engine import FusedOptimizer
from optbridge.frameworks.mindspore._validator import (
    check_non_negative_float,
    check_positive_float,
    check_value_type,
)

GROUP_KEYS = ("params", "lr", "weight_decay", "order_params", "grad_centralization")
LearningRate = float | int | Tensor | Sequence[float] | Callable[[int], float]


def _f32(value: float) -> float:
    # MindSpore keeps lr, weight decay and 1/loss_scale as float32 tensors.
    return float(np.float32(value))


class MindSporeOptimizer(FusedOptimizer):
    """Shared base of the MindSpore facades (not public).

    Subclasses call :meth:`_parse` first (MindSpore's base-class checks come first), then
    check their own arguments, then :meth:`_start_engine`; and define ``rule``/``rule_options``.
    """

    def _parse(self, params: Any, learning_rate: LearningRate, weight_decay: float,
               loss_scale: float) -> list[dict]:
        """Check and unpack the base-class arguments; return the engine's param groups."""
        cls_name = type(self).__name__
        parameters = self._parameters_base_check(params, "parameters")
        if not all(_is_param(x) for x in parameters) and not all(
                isinstance(x, dict) for x in parameters):
            raise TypeError("For 'Optimizer', all elements of the argument 'parameters' must be "
                            "a tensor, a (name, tensor) pair or 'dict', please check the "
                            "'parameters'.")
        if isinstance(loss_scale, int):
            loss_scale = float(loss_scale)
        check_value_type("loss_scale", loss_scale, (float,), cls_name)
        check_positive_float(loss_scale, "loss_scale", cls_name)
        self.loss_scale = loss_scale
        self.is_group = isinstance(parameters[0], dict)
        default_lr = self._preprocess_lr(learning_rate)

        # (name, tensor, lr, weight decay, grad centralization) per param, in MindSpore order
        entries: list[tuple[str, Tensor, Any, float, bool]] = []
        ordered: list | None = None
        if self.is_group:
            self._check_group_params(parameters)
            for group in parameters:
                if "order_params" in group:
                    ordered = [_named(p)[1] for p in group["order_params"]]
                    continue
                lr = self._preprocess_lr(group["lr"]) if "lr" in group else default_lr
                wd = self._preprocess_weight_decay(group.get("weight_decay", weight_decay))
                gc = group.get("grad_centralization", False)
                if not isinstance(gc, bool):
                    raise TypeError("For 'Optimizer', the 'gradients_centralization' must be "
                                    f"bool type, but got {type(gc)}.")
                for p in self._parameters_base_check(group["params"], "group `params`"):
                    name, tensor = _named(p)
                    entries.append((name, tensor, lr, wd, gc))
        else:
            wd = self._preprocess_weight_decay(weight_decay)
            entries = [(*_named(p), default_lr, wd, False) for p in parameters]
        _check_lengths(entries, default_lr)
        if ordered:
            by_id = {id(e[1]): e for e in entries}
            missing = [i for i, t in enumerate(ordered) if id(t) not in by_id]
            if missing or len(ordered) != len(entries):
                raise ValueError("For 'Optimizer', the parameters in 'order_params' must be the "
                                 "same as the parameters in the groups, "
                                 f"but got indices {missing} unknown.")
            entries = [by_id[id(t)] for t in ordered]
        self._check_unique([e[1] for e in entries])

        if self.is_group:
            self.decay_flags = tuple(e[3] > 0 for e in entries)
        else:  # MindSpore's name rule: no decay for normalisation parameters
            self.decay_flags = tuple("beta" not in e[0] and "gamma" not in e[0] for e in entries)
        self.exec_weight_decay = any(e[3] > 0 for e in entries)
        self.parameters = tuple(e[1] for e in entries)
        self.param_names = tuple(e[0] for e in entries)
        self._weight_decays = tuple(_f32(e[3]) for e in entries)
        self._grad_centralization = tuple(e[4] for e in entries)
        self._reciprocal_scale = _f32(1.0 / loss_scale)
        self.global_step = torch.zeros(1, dtype=torch.int32)

        # one engine group per distinct learning rate (that is all the rule needs per group)
        groups: dict[int, dict] = {}
        for e in entries:
            lr = e[2]
            key = id(lr) if not isinstance(lr, float) else hash(("f", lr))
            group = groups.setdefault(key, {"params": [], "lr_source": lr,
                                            "lr": self._lr_at(lr, 0)})
            group["params"].append(e[1])
        return list(groups.values())

    def _start_engine(self, groups: list[dict], defaults: dict) -> None:
        FusedOptimizer.__init__(self, groups, defaults)
        # MindSpore allocates its accumulators (``ms``, ``moment``, ...) in the constructor.
        self.materialize_state()

    # -- MindSpore's checks ---------------------------------------------------------------
    @staticmethod
    def _parameters_base_check(parameters: Any, param_info: str) -> list:
        if parameters is None:
            raise ValueError(f"For 'Optimizer', the argument {param_info} can not be None.")
        if isinstance(parameters, torch.nn.Module):
            parameters = parameters.named_parameters()
        if isinstance(parameters, Tensor) or not isinstance(parameters, Iterable):
            raise TypeError(f"For 'Optimizer', the argument {param_info} must be Iterable type, "
                            f"but got {type(parameters)}.")
        parameters = list(parameters)
        if not parameters:
            raise ValueError(f"For 'Optimizer', the argument {param_info} must not be empty.")
        return parameters

    @staticmethod
    def _check_group_params(parameters: list[dict]) -> None:
        for group in parameters:
            invalid = [k for k in group if k not in GROUP_KEYS]
            if invalid:
                raise KeyError(f"For 'Optimizer', the key in group params must be one of in "
                               f"{list(GROUP_KEYS)}, but got {invalid}.")
            if "order_params" in group:
                if len(group) > 1:
                    raise ValueError("For 'Optimizer', the order params dict in group parameters "
                                     "should only include the 'order_params' key, but got "
                                     f"{group.keys()}.")
                if not isinstance(group["order_params"], Iterable):
                    raise TypeError("For 'Optimizer', the value of 'order_params' in group "
                                    "parameters should be Iterable type, but got "
                                    f"{type(group['order_params'])}.")

    @staticmethod
    def _check_unique(tensors: list[Tensor]) -> None:
        seen: set[int] = set()
        for index, t in enumerate(tensors):
            if id(t) in seen:
                raise RuntimeError(f"For 'Optimizer', the parameter at index {index} already "
                                   "exists, it does not support repeated setting.")
            seen.add(id(t))

    def _preprocess_lr(self, learning_rate: Any) -> float | Tensor | Callable[[int], float]:
        """A float (static), a 1-D float32 tensor (MindSpore's dynamic lr) or a schedule."""
        if isinstance(learning_rate, float | int):
            learning_rate = float(learning_rate)
            check_non_negative_float(learning_rate, "learning rate", type(self).__name__)
            return _f32(learning_rate)
        if isinstance(learning_rate, Tensor):
            if learning_rate.ndim == 0:
                return _f32(learning_rate.item())
            if learning_rate.ndim > 1:
                raise ValueError("For 'Optimizer', if 'learning_rate' is Tensor type, then the "
                                 "dimension of it should be 0 or 1, but got "
                                 f"{learning_rate.ndim}.")
            return learning_rate.detach().to("cpu", torch.float32)
        if callable(learning_rate):  # the counterpart of a LearningRateSchedule cell
            return learning_rate
        if isinstance(learning_rate, Iterable):
            # as MindSpore: np.array(list(lr)).astype(float32) (a str fails element-wise)
            return torch.from_numpy(np.array(list(learning_rate)).astype(np.float32))
        raise TypeError("For 'Optimizer', the argument 'learning_rate' must be int, float, "
                        "Tensor, Iterable or LearningRateSchedule, but got "
                        f"{type(learning_rate)}.")

    def _preprocess_weight_decay(self, weight_decay: Any) -> float:
        if isinstance(weight_decay, float | int):
            weight_decay = float(weight_decay)
            check_non_negative_float(weight_decay, "weight_decay", type(self).__name__)
            return weight_decay * self.loss_scale
        raise TypeError("For 'Optimizer', the argument 'Weight_decay' must be int, float or "
                        f"Cell.but got {type(weight_decay)}")

    @staticmethod
    def _lr_at(lr: Any, step: int) -> float:
        if isinstance(lr, float):
            return lr
        if isinstance(lr, Tensor):
            if step >= lr.numel():
                raise IndexError(f"the dynamic learning rate has {lr.numel()} values; "
                                 f"step {step + 1} has none")
            return float(lr[step])
        return _f32(lr(step))

    # -- the call -------------------------------------------------------------------------
    def get_lr(self) -> float | tuple[float, ...]:
        """The learning rate(s) the next call uses (a tuple per parameter with group lrs)."""
        step = int(self.global_step.item())
        lrs = tuple(self._lr_at(g["lr_source"], step) for g in self.param_groups)
        return lrs[0] if len(lrs) == 1 else lrs

    def _prepare_gradient(self, index: int, param: Tensor, grad: Tensor) -> Tensor:
        grad = torch.as_tensor(grad, device=param.device).to(param.dtype)
        if grad.shape != param.shape:
            raise ValueError(f"For '{type(self).__name__}', gradient {index} has shape "
                             f"{tuple(grad.shape)} but parameter "
                             f"'{self.param_names[index]}' has shape {tuple(param.shape)}.")
        if self.exec_weight_decay and self.decay_flags[index]:
            grad = param * self._weight_decays[index] + grad
        if self._grad_centralization[index] and grad.ndim > 1 and grad.shape[1] % 16 == 0:
            grad = grad - grad.mean(dim=tuple(range(1, grad.ndim)), keepdim=True)
        if self.loss_scale != 1.0:
            grad = grad * self._reciprocal_scale
        return grad

    def __call__(self, gradients: Sequence[Tensor]) -> bool:
        """Apply one step from ``gradients`` (one per entry of ``self.parameters``)."""
        gradients = tuple(gradients)
        if len(gradients) != len(self.parameters):
            raise ValueError(f"For '{type(self).__name__}', got {len(gradients)} gradients for "
                             f"{len(self.parameters)} parameters.")
        with torch.no_grad():
            for index, (param, grad) in enumerate(zip(self.parameters, gradients)):
                param.grad = self._prepare_gradient(index, param, grad)
            step = int(self.global_step.item())
            for group in self.param_groups:
                group["lr"] = self._lr_at(group["lr_source"], step)
            self.global_step += 1
            super().step()
        return True

    def step(self, closure: Callable[[], float] | None = None) -> None:  # type: ignore[override]
        """Refused: torch's ``step()`` would apply ``param.grad`` without what the call does."""
        raise TypeError(
            f"{type(self).__name__}.step() is not how a MindSpore optimizer is applied: call it "
            f"with the gradients, optimizer(grads), a tuple with one gradient per entry of "
            f"optimizer.parameters. step() would skip what the call does: weight decay, loss "
            f"scale, gradient centralization and the learning-rate schedule.")

    def construct(self, gradients: Sequence[Tensor]) -> bool:
        """Alias of calling the optimizer, as MindSpore cells have."""
        return self(gradients)


def _is_param(x: Any) -> bool:
    return isinstance(x, Tensor) or (
        isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) and
        isinstance(x[1], Tensor))


def _named(p: Any) -> tuple[str, Tensor]:
    if isinstance(p, Tensor):
        return getattr(p, "name", None) or "", p
    if _is_param(p):
        return p[0], p[1]
    raise TypeError("For 'Optimizer', the element in group parameters must be a tensor or a "
                    f"(name, tensor) pair, but got {type(p)}.")


def _check_lengths(entries: list, default_lr: Any) -> None:
    lengths = {e[2].numel() for e in entries if isinstance(e[2], Tensor)}
    if isinstance(default_lr, Tensor):
        lengths.add(default_lr.numel())
    if len(lengths) > 1:
        raise ValueError("For 'Optimizer', the Tensor type dynamic learning rate in group must "
                         "be the same size as the argument 'learning_rate'.")
