"""Declarations the engine needs from an update rule: its function, its options, its state."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

StateInit = Literal["zeros", "ones", "lr"] | float


def _always(options: Any) -> bool:
    return True


@dataclass(frozen=True)
class StateBuffer:
    """One per-element state buffer of a rule.

    Parameters
    ----------
    name : str
        Key in ``optimizer.state[p]`` and in the ``state`` mapping the rule receives.
    init : {"zeros", "ones", "lr"} or float
        Initial value: zeros, ones, the group's learning rate, or a constant.
    when : callable, optional
        ``when(options) -> bool`` on the rule's typed options: whether the buffer exists.
        The kernels read the same predicate, so a buffer a kernel uses always exists.
    """

    name: str
    init: StateInit = "zeros"
    when: Callable[[Any], bool] = _always


@dataclass(frozen=True)
class Rule:
    """An update rule: an in-place function, its typed options and the state it keeps.

    Parameters
    ----------
    name : str
        Kernels are registered under this name; a rule without a kernel runs on the generic
        torch-ops path.
    update : callable
        ``update(param, grad, state, **options) -> None``, in place on ``param`` and ``state``.
    options : type, optional
        A frozen dataclass whose fields are ``update``'s keyword options. ``make_options``
        builds it once per param group; kernels compare its fields with what they implement.
        Default: one derived from ``update``'s keyword-only parameters.
    state : tuple of StateBuffer
        The buffers, in creation order.
    check : callable, optional
        ``check(param, grad, options) -> None`` raises for a pair that ``update`` refuses
        (e.g. torch's error for a grad overlapping its param); the engine calls it for every
        pair of a step before the first update, so a refused step writes nothing.
    """

    name: str
    update: Callable[..., None]
    state: tuple[StateBuffer, ...] = field(default_factory=tuple)
    options: type = None  # type: ignore[assignment]  # filled in by __post_init__
    check: Callable[[torch.Tensor, torch.Tensor, Any], None] | None = None

    def __post_init__(self) -> None:
        if self.options is None:
            object.__setattr__(self, "options", options_type_of(self.name, self.update))

    def make_options(self, values: Mapping[str, Any] | Any) -> Any:
        """The typed options from a mapping (``rule_options``' result) or an options value."""
        if isinstance(values, self.options):
            return values
        names = {f.name for f in dataclasses.fields(self.options)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise TypeError(f"rule {self.name!r} has no option(s) {', '.join(unknown)}; "
                            f"its options are {', '.join(sorted(names))}")
        return self.options(**values)

    def buffers(self, options: Any) -> tuple[StateBuffer, ...]:
        """The buffers that exist for ``options`` (typed, see ``make_options``)."""
        return tuple(b for b in self.state if b.when(options))


def options_type_of(name: str, update: Callable[..., None]) -> type:
    """A frozen dataclass of ``update``'s keyword-only parameters (their defaults kept)."""
    fields: list[Any] = []
    for param in inspect.signature(update).parameters.values():
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            continue
        if param.default is inspect.Parameter.empty:
            fields.append((param.name, Any))
        else:
            fields.append((param.name, Any, field(default=param.default)))
    fields.sort(key=lambda f: len(f) == 3)  # required fields first, as dataclasses need
    return dataclasses.make_dataclass(f"{name}_options", fields, frozen=True)


def partially_overlap(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether ``a`` and ``b`` share some memory without being the same elements: torch's
    in-place ops refuse such an input ("... refer to a single memory location"), and no
    one-pass kernel can give their results. Like torch, only contiguous tensors are compared."""
    if a.device != b.device or a.numel() == 0 or b.numel() == 0:
        return False
    if not (a.is_contiguous() and b.is_contiguous()):
        return False
    if a.data_ptr() == b.data_ptr() and a.shape == b.shape and a.dtype == b.dtype:
        return False  # the same elements: a full overlap, which torch's ops accept
    a0, b0 = a.data_ptr(), b.data_ptr()
    return a0 < b0 + b.numel() * b.element_size() and b0 < a0 + a.numel() * a.element_size()


def as_kwargs(options: Any) -> dict[str, Any]:
    """The fields of a typed options value as keyword arguments of the rule function."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}


def init_value(init: StateInit, lr: float | torch.Tensor) -> float:
    """The number a buffer starts at, given the group's lr."""
    if init == "zeros":
        return 0.0
    if init == "ones":
        return 1.0
    if init == "lr":
        return float(lr)
    if isinstance(init, int | float):
        return float(init)
    raise ValueError(f"StateBuffer.init must be 'zeros', 'ones', 'lr' or a float, got {init!r}")
