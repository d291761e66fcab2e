"""torch.save / torch.load of npu tensors, in the layout of real torch_npu checkpoints.

An npu tensor is pickled as a plain `_rebuild_tensor_v2` call on its inner CPU storage, whose
location is tagged "npu:0". Loading such a storage back to an npu location (by its tag or any
`map_location` form) returns a non-owning npu-tagged storage over the host bytes, remembered as
an alias of the host storage, so `_rebuild_tensor_v2`'s `set_` builds an npu tensor whose inner
tensor uses the host storage itself: no npu storage ever owns data. Loading to "cpu" gives plain
CPU tensors. `weights_only=True` works because only torch's own rebuild functions appear in the
pickle.
"""

from __future__ import annotations

import collections
import re
import weakref

import torch

_TAG_ATTRIBUTE = "_optbridge_npu_location"
_registered = False
# C++ address of a non-owning npu storage made by _deserialize -> the host storage it stands for.
_host_storages: dict[int, torch.UntypedStorage] = {}


def reduce_npu_tensor(tensor) -> tuple:
    inner = tensor._cpu
    untyped = inner.untyped_storage()
    setattr(untyped, _TAG_ATTRIBUTE, str(tensor.device))
    storage = torch.storage.TypedStorage(wrap_storage=untyped, dtype=inner.dtype, _internal=True)
    rebuild_args = (
        storage,
        inner.storage_offset(),
        tuple(inner.size()),
        inner.stride(),
        tensor.requires_grad,
        collections.OrderedDict(),
    )
    if getattr(tensor, "_is_param", False):
        return (
            torch._utils._rebuild_parameter,
            (_Rebuilt(rebuild_args), tensor.requires_grad, collections.OrderedDict()),
        )
    return (torch._utils._rebuild_tensor_v2, rebuild_args)


class _Rebuilt:
    """Pickles as the `_rebuild_tensor_v2` call of a tensor (used inside a Parameter)."""

    def __init__(self, rebuild_args: tuple) -> None:
        self.rebuild_args = rebuild_args

    def __reduce_ex__(self, protocol):
        return (torch._utils._rebuild_tensor_v2, self.rebuild_args)


def _tag(storage) -> str | None:
    return getattr(storage, _TAG_ATTRIBUTE, None)


def _deserialize(storage, location: str):
    if not re.fullmatch(r"npu(:\d+)?", location):
        return None
    from optbridge.npu.tensor import check_device

    check_device(torch.device(location))
    host = storage if storage.device.type == "cpu" else storage.cpu()
    # A non-owning storage tagged npu over the host bytes: torch.load caches storages only when
    # their data pointer is not null, and views of one storage must share it after loading.
    npu_storage = torch._C._construct_storage_from_data_pointer(
        host.data_ptr(), torch.device(location if ":" in location else "npu:0"), host.nbytes()
    )
    key = npu_storage._cdata
    _host_storages[key] = host
    # Forget the alias when torch.load drops the placeholder storage (its address may be reused).
    weakref.finalize(npu_storage, _host_storages.pop, key, None)
    return npu_storage


def host_storage(storage: torch.UntypedStorage) -> torch.UntypedStorage:
    """The host storage an npu placeholder storage stands for (or the storage itself)."""
    return _host_storages.get(storage._cdata, storage)


def register() -> None:
    global _registered
    if _registered:
        return
    # Priority 9: ahead of the CPU tagger (10), which would tag the inner storage "cpu".
    torch.serialization.register_package(9, _tag, _deserialize)
    _registered = True
