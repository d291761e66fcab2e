"""``FlatBufferOptimizer``: torch.optim.Optimizer semantics on top of flat buffers.

A subclass supplies the rule, the keyword options for it, and validation; this class owns
the buffers, the per-param state views, grads, zero_grad, state dicts and re-allocation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor
from torch.optim import Optimizer

from optbridge.engine.dispatch import apply_rule
from optbridge.engine.flat import FlatBucket, index_runs
from optbridge.engine.rules.spec import Rule, StateBuffer, StateInit, init_value


class _FlatGroup:
    """The buckets of one param group and the params list they were built from."""

    def __init__(self, params: list[Tensor], buckets: list[FlatBucket]) -> None:
        self.params = params
        self.n = len(params)
        self.buckets = buckets

    def matches(self, group: dict[str, Any]) -> bool:
        return group["params"] is self.params and len(group["params"]) == self.n


class FlatBufferOptimizer(Optimizer):
    """Base class of the fused optimizers: one update per flat buffer, torch.optim semantics.

    Parameters live in one contiguous buffer per (device, dtype) of each param group (each
    ``p.data`` becomes a view of it at the first ``step``), and so do their grads and every
    state buffer of ``rule``. ``self.state[p]`` holds views into those buffers and a ``step``
    tensor, so ``state_dict()`` has torch's format and can be loaded by ``torch.optim``.

    Subclasses set ``rule`` and implement ``rule_options``; they may override
    ``state_init`` and ``validate_param_group``. See ``optbridge.engine`` for an example.

    Parameters
    ----------
    params : iterable
        Tensors, named tensors or param-group dicts, as for ``torch.optim.Optimizer``.
    defaults : dict
        Default hyperparameters of a group.

    Notes
    -----
    A param re-allocated after the first step (``p.data = t``, ``model.double()``,
    ``model.to(device)``) is detected at the next ``step`` by its data pointer; its group is
    re-flattened with the new values, keeping the optimizer state (cast to the new dtype and
    device). Complex and sparse tensors are not supported.
    """

    rule: ClassVar[Rule]
    #: Message of the RuntimeError raised for sparse grads (torch's wording by default).
    sparse_grad_message: ClassVar[str] = "{name} does not support sparse gradients"
    #: Name used in error messages (torch's class name for the drop-in optimizers).
    display_name: ClassVar[str] = "optimizer"

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self._flat: dict[int, _FlatGroup] = {}
        super().__init__(params, defaults)

    # ----------------------------------------------------------------- subclass interface
    def rule_options(self, group: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments of ``rule.update`` for ``group`` (must include ``lr``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement rule_options(group)")

    def state_init(self, group: dict[str, Any]) -> dict[str, StateInit]:
        """Initial values overriding the rule's declaration, by buffer name."""
        return {}

    def validate_param_group(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError``/``TypeError`` for bad values in ``group`` (defaults filled)."""

    # ------------------------------------------------------------------ torch.optim API
    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._flat = {}

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        try:
            for i, p in enumerate(group["params"]):
                self._check_param(p, len(self.param_groups) - 1, i)
            self.validate_param_group(group)
        except Exception:
            self.param_groups.pop()
            raise

    def _check_param(self, p: Tensor, group_index: int, index: int) -> None:
        where = f"param {index} of param group {group_index}"
        if p.is_complex():
            raise TypeError(
                f"{type(self).__name__} does not support complex parameters ({where} is "
                f"{p.dtype}); use torch.optim.{self.display_name} or torch.view_as_real"
            )
        if not p.is_floating_point():
            raise TypeError(f"{type(self).__name__} needs floating-point parameters ({where} "
                            f"is {p.dtype})")
        if p.layout != torch.strided:
            raise TypeError(f"{type(self).__name__} does not support {p.layout} parameters "
                            f"({where})")

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict from this class or from the matching ``torch.optim`` class."""
        super().load_state_dict(state_dict)
        # torch's loader keeps the caller's tensors; copy them so that the caller's later
        # changes (e.g. a live optimizer stepping on) cannot leak in before we flatten.
        for state in self.state.values():
            for key, value in state.items():
                if isinstance(value, Tensor):
                    state[key] = value.clone()
        self._flat = {}  # the next step copies the loaded state into fresh flat buffers

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the grads of all params: to ``None`` (default) or to zeros, as torch."""
        for gi, group in enumerate(self.param_groups):
            flat = self._flat.get(gi)
            if flat is not None and not flat.matches(group):
                flat = None
            if flat is None:
                self._zero_grads_plain(group["params"], set_to_none)
                continue
            for bucket in flat.buckets:
                if set_to_none:
                    bucket.adopt_grads = False
                    for p in bucket.params:
                        p.grad = None
                    continue
                bucket.adopt_grads = True
                grads = [p.grad for p in bucket.params]
                bucket.grad.zero_()
                if not all(map(operator.is_, grads, bucket.grad_views)):
                    rest = [g for g, v in zip(grads, bucket.grad_views)
                            if g is not None and g is not v]
                    self._zero_grads_plain_tensors(rest)

    @staticmethod
    def _zero_grads_plain(params: list[Tensor], set_to_none: bool) -> None:
        if set_to_none:
            for p in params:
                p.grad = None
        else:
            FlatBufferOptimizer._zero_grads_plain_tensors(
                [p.grad for p in params if p.grad is not None])

    @staticmethod
    def _zero_grads_plain_tensors(grads: list[Tensor]) -> None:
        for g in grads:
            if g.grad_fn is not None:
                g.detach_()
            else:
                g.requires_grad_(False)
        if grads:
            torch._foreach_zero_(grads)

    @torch.no_grad()
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
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for gi, group in enumerate(self.param_groups):
            self._step_group(gi, group)
        return loss

    @torch.no_grad()
    def materialize_state(self) -> None:
        """Create every param's state now, as frameworks that allocate it at construction do
        (MindSpore's ``mean_square``, TF1's slots), so it can be read or seeded before the
        first step. torch.optim semantics, the default, create it at the first step."""
        for gi, group in enumerate(self.param_groups):
            flat = self._flat.get(gi)
            if flat is None or not flat.matches(group):
                flat = self._flatten_group(gi, group)
            options = self.rule_options(group)
            buffers, inits = self.rule.buffers(options), self.state_init(group)
            for bucket in flat.buckets:
                self._ensure_state(bucket, group, buffers, inits, None)

    # ------------------------------------------------------------------ engine internals
    def _step_group(self, gi: int, group: dict[str, Any]) -> None:
        flat = self._flat.get(gi)
        if flat is None or not flat.matches(group):
            if not any(p.grad is not None for p in group["params"]):
                return  # nothing to do; flatten when there is
            flat = self._flatten_group(gi, group)
        options = self.rule_options(group)
        buffers = self.rule.buffers(options)
        inits = self.state_init(group)
        for bucket in flat.buckets:
            if list(map(Tensor.data_ptr, bucket.params)) != bucket.ptrs:
                flat = self._flatten_group(gi, group)  # re-allocated: rebuild, keep state
                for rebuilt in flat.buckets:
                    self._step_bucket(rebuilt, group, options, buffers, inits)
                return
        for bucket in flat.buckets:
            self._step_bucket(bucket, group, options, buffers, inits)

    def _step_bucket(self, bucket: FlatBucket, group: dict[str, Any], options: dict[str, Any],
                     buffers: tuple[StateBuffer, ...], inits: dict[str, StateInit]) -> None:
        grads = [p.grad for p in bucket.params]
        if all(map(operator.is_, grads, bucket.grad_views)):
            has_grad = None  # every grad already lives in the flat buffer
        else:
            has_grad = self._gather_grads(bucket, grads)
            if not any(has_grad):
                return
        self._ensure_state(bucket, group, buffers, inits, has_grad)
        runs = [(0, len(bucket))] if has_grad is None or all(has_grad) else index_runs(has_grad)
        for start, stop in runs:
            bucket.steps[start:stop].add_(1)
            param, grad, state = bucket.slice(start, stop)
            state = {b.name: state[b.name] for b in buffers}
            run_options = options
            if options.get("bias_correction"):
                run_options = {**options, "step": bucket.step_views[start].item()}
            apply_rule(self.rule, param, grad, state, run_options)

    def _gather_grads(self, bucket: FlatBucket, grads: list[Tensor | None]) -> list[bool]:
        """Copy grads that are not views of the flat grad buffer into it (one foreach op)."""
        views = bucket.grad_views
        moved = [i for i, g in enumerate(grads) if g is not None and g is not views[i]]
        if moved:
            src = [grads[i] for i in moved]
            # p.grad's setter already enforces shape, dtype and device; only layout is left
            if any(g.layout != torch.strided for g in src):  # type: ignore[union-attr]
                raise RuntimeError(self.sparse_grad_message.format(name=self.display_name))
            torch._foreach_copy_([views[i] for i in moved], src)
            if bucket.adopt_grads:
                params = bucket.params
                for i in moved:
                    params[i].grad = views[i]
        return [g is not None for g in grads]

    def _ensure_state(self, bucket: FlatBucket, group: dict[str, Any],
                      buffers: tuple[StateBuffer, ...], inits: dict[str, StateInit],
                      has_grad: list[bool] | None) -> None:
        """Create missing flat buffers and the state of params stepping for the first time."""
        lr = group["lr"]
        for b in buffers:
            if b.name not in bucket.state:
                bucket.ensure_buffer(b.name, init_value(inits.get(b.name, b.init), lr))
                for i, p in enumerate(bucket.params):
                    if bucket.initialized[i]:  # buffer appeared after init (options changed)
                        self.state[p][b.name] = bucket.state_views[b.name][i]
        if bucket.n_initialized == len(bucket):
            return
        fresh = [i for i in range(len(bucket))
                 if not bucket.initialized[i] and (has_grad is None or has_grad[i])]
        if not fresh:
            return
        for b in buffers:
            bucket.fill_state(b.name, fresh, init_value(inits.get(b.name, b.init), lr))
        for i in fresh:
            state = self.state[bucket.params[i]]
            state.clear()
            bucket.steps[i] = 0
            state["step"] = bucket.step_views[i]
            for b in buffers:
                state[b.name] = bucket.state_views[b.name][i]
            bucket.initialized[i] = True
        bucket.n_initialized += len(fresh)

    def _flatten_group(self, gi: int, group: dict[str, Any]) -> _FlatGroup:
        """(Re)build the buckets of a group from its params' current data and state."""
        params: list[Tensor] = group["params"]
        capturable = bool(group.get("capturable", False))
        by_kind: dict[tuple[torch.device, torch.dtype], list[Tensor]] = {}
        for i, p in enumerate(params):
            self._check_param(p, gi, i)
            by_kind.setdefault((p.device, p.dtype), []).append(p)
        buckets = []
        for (device, _), members in by_kind.items():
            old_state = {p: dict(self.state[p]) for p in members if self.state.get(p)}
            old_grads = [p.grad for p in members]
            bucket = FlatBucket(members, device if capturable else None)
            with torch.no_grad():
                self._restore_grads(bucket, old_grads)
                self._restore_state(bucket, old_state)
            buckets.append(bucket)
        flat = _FlatGroup(params, buckets)
        self._flat[gi] = flat
        return flat

    @staticmethod
    def _restore_grads(bucket: FlatBucket, grads: list[Tensor | None]) -> None:
        pairs = [(i, g) for i, g in enumerate(grads) if g is not None
                 and g.layout == torch.strided and g.shape == bucket.grad_views[i].shape]
        if not pairs:
            return
        torch._foreach_copy_([bucket.grad_views[i] for i, _ in pairs], [g for _, g in pairs])
        for i, _ in pairs:
            bucket.params[i].grad = bucket.grad_views[i]

    def _restore_state(self, bucket: FlatBucket, old_state: dict[Tensor, dict[str, Any]]) -> None:
        """Copy existing per-param state (views of old buffers, or loaded tensors) in."""
        rule_buffers = {b.name for b in self.rule.state}
        for i, p in enumerate(bucket.params):
            state = old_state.get(p)
            if not state:
                continue
            new_state: dict[str, Any] = {}
            for name, value in state.items():
                if name == "step":
                    bucket.steps[i] = float(value)
                    new_state["step"] = bucket.step_views[i]
                elif isinstance(value, Tensor) and (name in rule_buffers
                                                    or value.shape == p.shape):
                    if value.shape != p.shape:
                        raise RuntimeError(
                            f"{type(self).__name__}: param {i} of a {p.dtype} bucket has shape "
                            f"{tuple(p.shape)} but its state {name!r} has shape "
                            f"{tuple(value.shape)}; a param must keep its shape once the "
                            "optimizer holds state for it"
                        )
                    bucket.ensure_buffer(name, 0.0)
                    view = bucket.state_views[name][i]
                    view.copy_(value)
                    new_state[name] = view
                else:
                    new_state[name] = value
            if "step" not in new_state:
                new_state["step"] = bucket.step_views[i]
            bucket.initialized[i] = True
            bucket.n_initialized += 1
            self.state[p] = new_state
