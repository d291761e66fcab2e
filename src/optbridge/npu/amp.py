"""`torch.npu.amp` (also `torch_npu.npu.amp`): autocast and GradScaler bound to the npu."""

from __future__ import annotations

import torch


class autocast(torch.amp.autocast_mode.autocast):
    """`torch.autocast("npu", ...)`; float16 by default, as torch_npu."""

    def __init__(
        self,
        enabled: bool = True,
        dtype: torch.dtype = torch.float16,
        cache_enabled: bool = True,
    ) -> None:
        super().__init__("npu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(torch.amp.GradScaler):
    """`torch.amp.GradScaler("npu", ...)`; backs off after an inf or nan gradient."""

    def __init__(
        self,
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
        dynamic: bool = True,
    ) -> None:
        if not dynamic:
            raise NotImplementedError(
                "GradScaler(dynamic=False) (a fixed loss scale) is not simulated; use "
                "dynamic=True, or scale the loss by a constant yourself"
            )
        super().__init__(
            "npu",
            init_scale=init_scale,
            growth_factor=growth_factor,
            backoff_factor=backoff_factor,
            growth_interval=growth_interval,
            enabled=enabled,
        )
