"""Other frameworks' RMSprop/Rprop, running on torch tensors on the shared engine.

Each submodule reproduces one framework's optimizer: its constructor (argument names, defaults,
validation and exception types), its state and its numerics, so a user can see what the target
framework would do to a model before porting it. Every facade is a rule of
:mod:`optbridge.engine` plus a thin adapter; none copies the engine. The facades are checked
against trajectories recorded from the real frameworks (``optbridge/frameworks/<name>/data``).

========================  ===================================================================
module                    API
========================  ===================================================================
``compat.mindspore``      ``RMSProp``, ``Rprop`` (``mindspore.nn``)
``compat.keras``          ``RMSprop`` (Keras 3, = ``tf.keras.optimizers.RMSprop``)
``compat.tf1``            ``RMSPropOptimizer`` (``tf.compat.v1.train``)
``compat.oneflow``        ``RMSprop`` (``oneflow.optim``; derived from source)
``compat.paddle``         ``RMSProp``, ``Rprop`` (``paddle.optimizer``)
``compat.optax``          ``rmsprop``, ``rprop`` (optax 0.2.8 gradient transformations)
``compat.torch_npu``      ``NpuFusedRMSprop`` (``torch_npu.optim``)
========================  ===================================================================

The submodules are imported on first use, so ``import optbridge.compat`` stays cheap.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["keras", "mindspore", "oneflow", "optax", "paddle", "tf1", "torch_npu"]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
