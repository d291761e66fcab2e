"""`torch_npu.optim`: the NPU fused optimizers.

`NpuFusedRMSprop` lives in `optbridge.compat.torch_npu`; it is imported on first use so that
importing the simulated NPU never imports the optimizer engine (and no import cycle forms).
"""

from __future__ import annotations

import importlib

_LAZY = {"NpuFusedRMSprop": "optbridge.compat.torch_npu"}
__all__ = list(_LAZY)


def __getattr__(name: str):
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'torch_npu.optim' has no attribute {name!r}")
    return getattr(importlib.import_module(module_name), name)


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
