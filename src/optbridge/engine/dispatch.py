"""Run a rule on lists of tensors: the fastest kernel that takes them, else the rule's torch ops.

This is the one boundary every update passes: the buffers handed on are exactly those the
rule declares for the options (``Rule.buffers``), checked here, so no kernel can be given a
buffer that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor

from optbridge.engine.kernels import find_kernel
from optbridge.engine.rules.spec import Rule, as_kwargs, partially_overlap

# The torch-ops path on CPU runs a large contiguous tensor in slices that stay in L2 (64 Ki
# elements keeps ~6 fp32 buffers in 2 MiB): the rule's several passes then hit the cache.
CPU_CHUNK_ELEMENTS = 1 << 16


def required_state(rule: Rule, options: Any, state: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``state`` the rule needs for ``options``; ValueError naming a missing one."""
    needed = {}
    for buffer in rule.buffers(options):
        if buffer.name not in state:
            raise ValueError(f"rule {rule.name!r} needs the state buffer {buffer.name!r} for "
                             f"these options, but the state holds only {sorted(state)}")
        needed[buffer.name] = state[buffer.name]
    return needed


def run_torch_ops(rule: Rule, param: Tensor, grad: Tensor, state: dict[str, Tensor],
                  options: Any, step: Tensor | None = None, *, chunked: bool = True) -> str:
    """The rule's own torch ops on one tensor, in cache-sized slices when that is exact.

    ``step`` (a param's count after this step) replaces the options' own ``step`` for rules
    whose options ask for it (``bias_correction``).
    """
    kwargs = as_kwargs(options)
    if step is not None and getattr(options, "bias_correction", False):
        kwargs["step"] = step
    n = param.numel()
    sliceable = (chunked and param.device.type == "cpu" and n > CPU_CHUNK_ELEMENTS
                 and param.is_contiguous() and grad.is_contiguous()
                 and not partially_overlap(param, grad)  # slices would read updated values
                 and all(t.is_contiguous() and t.shape == param.shape for t in state.values()))
    if not sliceable:
        rule.update(param, grad, state, **kwargs)
        return "torch-ops"
    flat_param, flat_grad = param.view(-1), grad.view(-1)
    flat_state = {k: t.view(-1) for k, t in state.items()}
    for lo in range(0, n, CPU_CHUNK_ELEMENTS):
        hi = min(lo + CPU_CHUNK_ELEMENTS, n)
        rule.update(flat_param[lo:hi], flat_grad[lo:hi],
                    {k: t[lo:hi] for k, t in flat_state.items()}, **kwargs)
    return "torch-ops-chunked"


def run_lists(rule: Rule, params: Sequence[Tensor], grads: Sequence[Tensor],
              states: Sequence[Mapping[str, Tensor]], steps: Sequence[Tensor] | None,
              options: Any, *, allow_kernel: bool = True) -> set[str]:
    """Update ``params[i]`` with ``grads[i]`` and ``states[i]`` in place, in list order where
    a kernel takes them, then the rest with the rule's torch ops; ``steps[i]`` (0-dim
    tensors) are incremented first. All tensors of one call share a device type.
    Returns the paths taken (kernel names, ``"torch-ops"``, ``"torch-ops-chunked"``)."""
    needed = [required_state(rule, options, s) for s in states]
    paths: set[str] = set()
    rest = range(len(params))
    kernel = None
    if allow_kernel and params:
        kernel = find_kernel(rule.name, params[0].device.type, options)
    if kernel is not None:
        names = [b.name for b in rule.buffers(options)]
        state_lists = {name: [s[name] for s in needed] for name in names}
        rest = kernel.run_lists(list(params), list(grads), state_lists,
                                None if steps is None else list(steps), options)
        if len(rest) < len(params):
            paths.add(kernel.name)
    for i in rest:
        step = None
        if steps is not None:
            steps[i].add_(1)
            step = steps[i]
        paths.add(run_torch_ops(rule, params[i], grads[i], needed[i], options, step))
    return paths


def apply_rule(rule: Rule, param: Tensor, grad: Tensor, state: Mapping[str, Tensor],
               options: Mapping[str, Any] | Any, *, allow_kernel: bool = True) -> str:
    """Apply ``rule`` in place to same-shaped tensors ``param``, ``grad`` and ``state``.

    ``options`` is a mapping of the rule's options or its typed options value. Returns the
    path taken: a kernel's name, ``"torch-ops"`` or ``"torch-ops-chunked"``.
    """
    typed = rule.make_options(options)
    (path,) = run_lists(rule, [param], [grad], [state], None, typed, allow_kernel=allow_kernel)
    return path
