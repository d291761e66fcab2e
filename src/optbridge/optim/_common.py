"""What both drop-in optimizers share: torch's group defaults and capturable check."""

from __future__ import annotations

from typing import Any

import torch
from torch.optim.optimizer import _get_capturable_supported_devices

from optbridge.engine.optimizer import FusedOptimizer


class TorchDropIn(FusedOptimizer):
    """A FusedOptimizer that mirrors one ``torch.optim`` class's API."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def _step_group(self, group: dict[str, Any]) -> None:
        if group.get("differentiable") and group.get("foreach"):
            # torch.optim's foreach implementation refuses autograd with this AssertionError
            raise AssertionError("_foreach ops don't support autograd")
        if group.get("capturable") and not torch.compiler.is_compiling():
            supported = _get_capturable_supported_devices()
            for p in group["params"]:
                if p.grad is not None and p.device.type not in supported:
                    # torch.optim raises the same AssertionError for these devices.
                    raise AssertionError(
                        "If capturable=True, params and state_steps must be on supported "
                        f"devices: {supported}."
                    )
        super()._step_group(group)
