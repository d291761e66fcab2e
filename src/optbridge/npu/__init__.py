"""A simulated Ascend NPU on stock PyTorch, usable as `torch_npu`.

    import optbridge.npu as torch_npu
    torch_npu.install()            # explicit, idempotent; refused when the real torch_npu exists
    x = torch.ones(3).npu()        # device='npu:0', data held in host memory

Unmodified scripts that `import torch_npu` run with `python -m optbridge.run script.py`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from optbridge.npu.backend import (
    BACKEND_NAME,
    SimulatedNpuError,
    install,
    is_installed,
    real_torch_npu_available,
)
from optbridge.npu.formats import get_npu_format, npu_format_cast, npu_format_cast_

IS_SIMULATED_NPU = True
__all__ = [
    "BACKEND_NAME",
    "IS_SIMULATED_NPU",
    "SimulatedNpuError",
    "get_npu_format",
    "install",
    "is_installed",
    "npu_format_cast",
    "npu_format_cast_",
    "optim",
    "real_torch_npu_available",
]


def __getattr__(name: str) -> ModuleType:
    # `torch_npu.npu` is `torch.npu`, which exists only once the simulation is installed: never
    # install as a side effect of an attribute lookup (autodoc and hasattr() do those).
    if name == "npu":
        if not is_installed():
            raise AttributeError(
                "optbridge.npu.npu (torch_npu.npu) exists once the simulated NPU is installed: "
                "call optbridge.npu.install() first"
            )
        return importlib.import_module("optbridge.npu.device_module")
    if name == "optim":
        return importlib.import_module("optbridge.npu.optim")
    raise AttributeError(f"module 'optbridge.npu' has no attribute {name!r}")
