"""Other frameworks' RMSprop/Rprop, running on torch tensors on the shared engine.

Each submodule reproduces one framework's optimizer: its constructor (argument names, defaults,
validation and exception types), its state and its numerics, so a user can see what the target
framework would do to a model before porting it. Every facade is a rule of
:mod:`optbridge.engine` plus a thin adapter; none copies the engine. The facades are checked
against data recorded from the real frameworks (``optbridge/frameworks/<name>/data``).

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

``optbridge.compat.<name>`` is the public import path of the facade of each framework in the
registry (:mod:`optbridge.frameworks`; the code lives in ``optbridge/frameworks/<name>/``):
importing it gives the facade module itself, so a registered framework needs no file here. The
facades are imported on first use, so ``import optbridge.compat`` stays cheap.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

from optbridge.frameworks import registry

__all__ = [key for key, framework in registry().items() if framework.facade]


def _facade_of(fullname: str) -> str | None:
    package, _, key = fullname.rpartition(".")
    framework = registry().get(key) if package == __name__ else None
    return framework.facade if framework is not None else None


class _FacadeAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``optbridge.compat.<key>`` and loads it as that framework's facade module."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if _facade_of(fullname) else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(_facade_of(spec.name))

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the facade ran when :meth:`create_module` imported it."""


if not any(isinstance(finder, _FacadeAlias) for finder in sys.meta_path):
    sys.meta_path.append(_FacadeAlias())


def __getattr__(name: str) -> ModuleType:
    if _facade_of(f"{__name__}.{name}"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
