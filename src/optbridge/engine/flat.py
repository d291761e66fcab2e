"""Flat contiguous buffers holding the params, grads and state of many tensors.

``FlatBucket`` is what the optimizer keeps per (device, dtype) inside a param group: the
params themselves become views of one buffer (``p.data = view``, as torch_npu's combined
buffers), grads and state buffers are flat too, so a rule runs once per bucket.
``FlatState`` is the same storage for functional facades that keep their own tensors.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from optbridge.engine.rules.spec import Rule, StateInit, init_value


def dense_strides(like: Tensor) -> tuple[int, ...] | None:
    """``like``'s strides if it is channels-last dense (kept in the flat buffer), else None."""
    if like.is_contiguous():
        return None
    if like.dim() == 4 and like.is_contiguous(memory_format=torch.channels_last):
        return tuple(like.stride())
    if like.dim() == 5 and like.is_contiguous(memory_format=torch.channels_last_3d):
        return tuple(like.stride())
    return None


def tensor_view(flat: Tensor, offset: int, like: Tensor) -> Tensor:
    """A view of ``flat[offset : offset + like.numel()]`` with ``like``'s shape and layout."""
    return _view(flat, offset, like.shape, dense_strides(like))


def _view(flat: Tensor, offset: int, shape: torch.Size,
          strides: tuple[int, ...] | None) -> Tensor:
    if strides is not None:
        return flat.as_strided(shape, strides, flat.storage_offset() + offset)
    return flat[offset : offset + shape.numel()].view(shape)


def index_runs(flags: Sequence[bool]) -> list[tuple[int, int]]:
    """Maximal ``[start, stop)`` runs of consecutive True values."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(flags)))
    return runs


class FlatLayout:
    """Offsets of a list of tensors packed end to end."""

    def __init__(self, tensors: Sequence[Tensor]) -> None:
        self.numels = [t.numel() for t in tensors]
        self.offsets = list(itertools.accumulate(self.numels, initial=0))
        self.total = self.offsets[-1]
        # shapes and layouts only: holding the tensors would keep their old storage alive
        self.shapes = [t.shape for t in tensors]
        self.strides = [dense_strides(t) for t in tensors]

    def views(self, flat: Tensor) -> list[Tensor]:
        """Per-tensor views of ``flat`` in this layout."""
        return [_view(flat, o, shape, strides)
                for o, shape, strides in zip(self.offsets, self.shapes, self.strides)]


class FlatBucket:
    """Params of one (device, dtype) in one param group, rebound onto flat buffers.

    Attributes
    ----------
    params : list of Tensor
        The parameters, in group order; each ``p.data`` is a view of ``param``.
    param, grad : Tensor
        Flat buffers; ``grad_views[i]`` is what ``params[i].grad`` is set to.
    state : dict of str to Tensor
        Flat state buffers by name; ``state_views[name][i]`` are the per-param views.
    steps : Tensor
        One step counter per param (float32 as torch; ``step_views[i]`` is 0-dim).
    """

    def __init__(self, params: list[Tensor], step_device: torch.device | None) -> None:
        first = params[0]
        self.device, self.dtype = first.device, first.dtype
        self.params = params
        self.layout = FlatLayout(params)
        total = self.layout.total
        with torch.no_grad():
            self.param = torch.empty(total, dtype=self.dtype, device=self.device)
            self.param_views = self.layout.views(self.param)
            torch._foreach_copy_(self.param_views, [p.detach() for p in params])
            for p, view in zip(params, self.param_views):
                p.data = view
        self.ptrs = [p.data_ptr() for p in params]
        self.grad = torch.zeros(total, dtype=self.dtype, device=self.device)
        self.grad_views = self.layout.views(self.grad)
        self.state: dict[str, Tensor] = {}
        self.state_views: dict[str, list[Tensor]] = {}
        from torch.optim.optimizer import _get_scalar_dtype

        self.steps = torch.zeros(len(params), dtype=_get_scalar_dtype(), device=step_device)
        self.step_views = list(self.steps.unbind(0))
        self.initialized = [False] * len(params)
        self.n_initialized = 0
        # Point p.grad at our buffer after copying a grad in, so later backward passes
        # accumulate straight into it; turned off when the user sets grads to None each step.
        self.adopt_grads = True

    def __len__(self) -> int:
        return len(self.params)

    def ensure_buffer(self, name: str, fill: float) -> Tensor:
        """The flat state buffer ``name``, created filled with ``fill`` if missing."""
        buf = self.state.get(name)
        if buf is None:
            buf = torch.full((self.layout.total,), fill, dtype=self.dtype, device=self.device)
            self.state[name] = buf
            self.state_views[name] = self.layout.views(buf)
        return buf

    def slice(self, start: int, stop: int) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """Flat param, grad and state of params ``start:stop`` (contiguous slices)."""
        a, b = self.layout.offsets[start], self.layout.offsets[stop]
        return self.param[a:b], self.grad[a:b], {k: t[a:b] for k, t in self.state.items()}

    def fill_state(self, name: str, indices: Sequence[int], value: float) -> None:
        """Set buffer ``name`` to ``value`` for the params at ``indices``."""
        buf = self.state[name]
        if len(indices) == len(self.params):
            buf.fill_(value)
        else:
            for start, stop in index_runs([i in set(indices) for i in range(len(self.params))]):
                a, b = self.layout.offsets[start], self.layout.offsets[stop]
                buf[a:b].fill_(value)


class FlatState:
    """Flat param, grad and state buffers for a facade that manages its own tensors.

    Unlike ``FlatBucket`` it does not rebind anything: it copies the given tensors in.
    Use ``apply_rule(rule, fs.param, fs.grad, fs.state, options)`` to update, and
    ``views(name)`` (``"param"``, ``"grad"`` or a state name) to read per-tensor results.
    """

    def __init__(self, layout: FlatLayout, param: Tensor, grad: Tensor,
                 state: dict[str, Tensor]) -> None:
        self.layout = layout
        self.param = param
        self.grad = grad
        self.state = state

    @classmethod
    def create(
        cls,
        rule: Rule,
        tensors: Sequence[Tensor],
        options: dict[str, Any],
        state_init: dict[str, StateInit] | None = None,
    ) -> FlatState:
        """Pack ``tensors`` (same device and dtype) and create the rule's state buffers."""
        if not tensors:
            raise ValueError("FlatState.create: tensors is empty")
        first = tensors[0]
        for i, t in enumerate(tensors):
            if t.dtype != first.dtype or t.device != first.device:
                raise ValueError(
                    f"FlatState.create: tensor {i} is {t.dtype} on {t.device}, "
                    f"tensor 0 is {first.dtype} on {first.device}; pack each kind separately"
                )
        layout = FlatLayout(tensors)
        kw: dict[str, Any] = {"dtype": first.dtype, "device": first.device}
        param = torch.empty(layout.total, **kw)
        with torch.no_grad():
            torch._foreach_copy_(layout.views(param), [t.detach() for t in tensors])
        overrides = state_init or {}
        state = {
            b.name: torch.full((layout.total,),
                               init_value(overrides.get(b.name, b.init), options.get("lr", 0.0)),
                               **kw)
            for b in rule.buffers(options)
        }
        return cls(layout, param, torch.zeros(layout.total, **kw), state)

    def load_grads(self, grads: Sequence[Tensor]) -> None:
        """Copy per-tensor grads into the flat grad buffer."""
        torch._foreach_copy_(self.layout.views(self.grad), list(grads))

    def views(self, name: str) -> list[Tensor]:
        """Per-tensor views of ``"param"``, ``"grad"`` or a state buffer."""
        flat = {"param": self.param, "grad": self.grad}.get(name)
        return self.layout.views(self.state[name] if flat is None else flat)
