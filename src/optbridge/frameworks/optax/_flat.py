"""Run an engine rule over the leaves of a pytree: one flat buffer per (device, dtype)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from optbridge.engine import Rule, apply_rule


def apply_rule_to_leaves(rule: Rule, grads: Sequence[Tensor], state: dict[str, list[Tensor]],
                         options: dict[str, Any]) -> tuple[list[Tensor], dict[str, list[Tensor]]]:
    """Apply ``rule`` to ``grads`` with ``state`` (leaf lists by buffer name), functionally.

    The rule's parameter buffer starts at zeros, so after the in-place rule it holds exactly
    the update (``0 - u == -u``); the inputs are not modified. Returns (updates, new state).
    """
    updates: list[Tensor | None] = [None] * len(grads)
    new_state: dict[str, list[Tensor | None]] = {k: [None] * len(grads) for k in state}
    buckets: dict[tuple[torch.device, torch.dtype], list[int]] = {}
    for i, g in enumerate(grads):
        buckets.setdefault((g.device, g.dtype), []).append(i)
    for indices in buckets.values():
        shapes = [grads[i].shape for i in indices]
        sizes = [grads[i].numel() for i in indices]
        flat_grad = torch.cat([grads[i].reshape(-1) for i in indices])
        flat_state = {k: torch.cat([v[i].to(flat_grad.dtype).reshape(-1) for i in indices])
                      for k, v in state.items()}
        flat_param = torch.zeros_like(flat_grad)
        apply_rule(rule, flat_param, flat_grad, flat_state, options)
        for k, flat in [("", flat_param), *flat_state.items()]:
            for i, part, shape in zip(indices, flat.split(sizes), shapes):
                if k:
                    new_state[k][i] = part.view(shape)
                else:
                    updates[i] = part.view(shape)
    return updates, new_state  # type: ignore[return-value]
