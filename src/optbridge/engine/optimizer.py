"""``FusedOptimizer``: torch.optim.Optimizer semantics, every param updated where it lives.

A subclass supplies the rule, the options of a group and validation. This class never moves
or replaces a param or a grad: each step hands the group's own tensors (read afresh: ``p``,
``p.grad``, ``optimizer.state[p]``) to a kernel that updates them in place, in one pass each.
Its state is torch's: per-param tensors created at the first step in which a param has a
grad, so ``zero_grad``, ``state_dict``, ``load_state_dict`` and hooks are torch's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor
from torch.optim import Optimizer
from torch.optim.optimizer import _get_scalar_dtype, _to_scalar

from optbridge.engine.dispatch import run_lists, run_torch_ops
from optbridge.engine.kernels import find_kernel
from optbridge.engine.rules.spec import Rule, StateBuffer, StateInit, init_value


def _is_dtensor(t: Tensor) -> bool:
    return type(t).__name__ == "DTensor" and hasattr(t, "to_local")


def _local(t: Tensor) -> Tensor:
    """The tensor the arithmetic runs on: a DTensor's local shard, a complex tensor's
    (real, imag) pairs (both updates are element-wise), else the tensor itself."""
    if _is_dtensor(t):
        t = t.to_local()
    return torch.view_as_real(t) if t.is_complex() else t


class FusedOptimizer(Optimizer):
    """Base class of the fused optimizers: in-place kernels on the params, torch.optim semantics.

    Subclasses set ``rule`` and implement ``rule_options``; they may override ``state_init``
    and ``validate_param_group``. See ``optbridge.engine`` for an example.

    Parameters
    ----------
    params : iterable
        Tensors, named tensors or param-group dicts, as for ``torch.optim.Optimizer``.
    defaults : dict
        Default hyperparameters of a group.

    Notes
    -----
    Dense CPU params of float32, float64, float16 or bfloat16 whose grad and state share their
    layout go through the compiled kernel, which reads every grad and state tensor itself;
    CUDA params through the Triton kernels; everything else (other devices, non-dense or
    re-strided params such as ``p.data = p.data.t()``, DTensor shards that are not plain, a
    kernel that does not implement an option) runs the rule's torch ops on that param.
    DTensor params (FSDP2) are updated on their local shards, complex params as real pairs.
    """

    rule: ClassVar[Rule]
    #: Message of the RuntimeError raised for sparse grads (torch's wording by default).
    sparse_grad_message: ClassVar[str] = "{name} does not support sparse gradients"
    #: Name used in error messages (torch's class name for the drop-in optimizers).
    display_name: ClassVar[str] = "optimizer"

    # ----------------------------------------------------------------- subclass interface
    def rule_options(self, group: dict[str, Any]) -> Mapping[str, Any]:
        """Keyword options of ``rule.update`` for ``group`` (must include ``lr``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement rule_options(group)")

    def state_init(self, group: dict[str, Any]) -> dict[str, StateInit]:
        """Initial values overriding the rule's declaration, by buffer name."""
        return {}

    def validate_param_group(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError``/``TypeError`` for bad values in ``group`` (defaults filled)."""

    # ------------------------------------------------------------------ torch.optim API
    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        # State dicts from before torch kept ``step`` as a tensor hold a number: convert it
        # as torch.optim's own __setstate__ does (load_state_dict comes through here).
        for group in self.param_groups:
            for i, p in enumerate(group["params"]):
                p_state = self.state.get(p)
                if p_state and "step" not in p_state:  # torch.optim's KeyError, here too
                    raise self._missing_state_error(group, i, "step")
                if p_state and not torch.is_tensor(p_state["step"]):
                    device = p.device if group.get("capturable") else None
                    p_state["step"] = torch.tensor(float(p_state["step"]),
                                                   dtype=_get_scalar_dtype(), device=device)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        try:
            self.validate_param_group(self.param_groups[-1])
        except Exception:
            self.param_groups.pop()
            raise

    def step(self, closure: Callable[[], float] | None = None) -> Any:  # type: ignore[override]
        """Perform one optimization step.

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss (run with grad enabled).

        Returns
        -------
        The closure's loss, or None.
        """
        differentiable = bool(self.defaults.get("differentiable", False))
        with torch.set_grad_enabled(differentiable):
            loss = None
            if closure is not None:
                with torch.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                self._step_group(group)
        return loss

    @torch.no_grad()
    def materialize_state(self) -> None:
        """Create every param's state now, as frameworks that allocate it at construction do
        (MindSpore's ``mean_square``, TF1's slots), so it can be read or seeded before the
        first step. torch.optim semantics, the default, create it at the first step."""
        for group in self.param_groups:
            options = self.rule.make_options(self.rule_options(group))
            buffers, inits = self.rule.buffers(options), self.state_init(group)
            for p in group["params"]:
                self._ensure_state(p, p, group, buffers, inits)

    # ------------------------------------------------------------------ engine internals
    def _step_group(self, group: dict[str, Any]) -> None:
        options = self.rule.make_options(self.rule_options(group))
        params: list[Tensor] = group["params"]
        if group.get("differentiable"):
            self._step_params(group, range(len(params)), options, allow_kernel=False)
            return
        kernel = find_kernel(self.rule.name, "cpu", options)
        if kernel is None or kernel.run_group is None or kernel.new_plan is None:
            self._step_params(group, range(len(params)), options)
            return
        # The compiled kernel walks the group itself, with the group's plan (its pointers
        # cached from the last step, checked and rebuilt where anything changed); it leaves
        # what it cannot take (no state yet, another device, not dense, a tensor subclass) to
        # the path below. Plans are not state: state_dict and pickling never see them.
        plans = self.__dict__.setdefault("_kernel_plans", {})
        key = (kernel.name, next(i for i, g in enumerate(self.param_groups) if g is group))
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = kernel.new_plan()
        rest, sparse, missing, overlap = kernel.run_group(params, self.state, options, plan)
        # With any of these nothing was updated: refuse as torch does, before any update.
        if sparse:
            raise RuntimeError(self.sparse_grad_message.format(name=self.display_name))
        if missing is not None:
            raise self._missing_state_error(group, missing[0], missing[1])
        if overlap >= 0:  # the rule's own ops, which read the whole grad first or refuse
            self._step_params(group, range(len(params)), options)
        elif rest:
            self._step_params(group, rest, options)

    def _missing_state_error(self, group: dict[str, Any], index: int, key: str) -> KeyError:
        """torch.optim's KeyError for a state (e.g. from a state dict) that lacks a buffer,
        naming the param: the state is never re-created under the param's feet."""
        where = next((i for i, g in enumerate(self.param_groups) if g is group), 0)
        return KeyError(f"{key!r}: the state of param {index} of param group {where} has no "
                        f"{key!r} entry (a state dict without it, or options changed since the "
                        f"state was created); {self.display_name} needs it, as torch.optim does")

    def _step_params(self, group: dict[str, Any], indices: Any, options: Any, *,
                     allow_kernel: bool = True) -> None:
        """Update the params at ``indices`` of ``group`` (those with a grad) in order."""
        params: list[Tensor] = group["params"]
        buffers = self.rule.buffers(options)
        inits = self.state_init(group)
        chosen = []
        for i in indices:
            p = params[i]
            grad = p.grad
            if grad is None:
                continue
            if grad.layout != torch.strided:
                raise RuntimeError(self.sparse_grad_message.format(name=self.display_name))
            chosen.append((i, p, grad))
        # Everything the rule would refuse is refused before the first update.
        for i, p, grad in chosen:
            if self.rule.check is not None:
                self.rule.check(_local(p), _local(grad), options)
            state = self.state.get(p)
            if state:
                for key in ("step", *(b.name for b in buffers)):
                    if key not in state:
                        raise self._missing_state_error(group, i, key)
        by_device: dict[str, tuple[list, list, list, list]] = {}
        for _, p, grad in chosen:
            state = self._ensure_state(p, grad, group, buffers, inits)
            lists = by_device.setdefault(p.device.type, ([], [], [], []))
            lists[0].append(_local(p))
            lists[1].append(_local(grad))
            lists[2].append({b.name: _local(state[b.name]) for b in buffers})
            lists[3].append(state["step"])
        for ps, gs, states, steps in by_device.values():
            if allow_kernel:
                run_lists(self.rule, ps, gs, states, steps, options)
                continue
            for p, g, state, step in zip(ps, gs, states, steps):
                step.add_(1)
                run_torch_ops(self.rule, p, g, state, options, step, chunked=False)

    def _ensure_state(self, p: Tensor, like: Tensor, group: dict[str, Any],
                      buffers: tuple[StateBuffer, ...], inits: dict[str, StateInit]) -> dict:
        """``self.state[p]``, created as torch does on first use (an existing state that
        lacks an entry is refused by the callers, as torch.optim does)."""
        state = self.state[p]
        if len(state) == 0:
            state["step"] = (torch.zeros((), dtype=_get_scalar_dtype(), device=p.device)
                             if group.get("capturable") else
                             torch.tensor(0.0, dtype=_get_scalar_dtype()))
            for b in buffers:
                state[b.name] = self._new_buffer(p, like, b, group, inits)
        return state

    @staticmethod
    def _new_buffer(p: Tensor, like: Tensor, buffer: StateBuffer, group: dict[str, Any],
                    inits: dict[str, StateInit]) -> Tensor:
        init = inits.get(buffer.name, buffer.init)
        if init == "lr":
            lr = group["lr"]
            if p.is_complex():  # both halves of a complex number start at lr, as torch
                return torch.full_like(like, complex(lr, lr))
            # torch.optim.Rprop's own call: a tensor lr that requires grad raises its
            # TypeError here, as in torch
            return torch.full_like(like, _to_scalar(lr))
        value = init_value(init, group["lr"])
        if value == 0.0:
            return torch.zeros_like(p, memory_format=torch.preserve_format)
        return torch.full_like(p, value, memory_format=torch.preserve_format)
