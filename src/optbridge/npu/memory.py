"""Memory statistics of the simulated NPU, counted on the inner CPU tensors.

Only ops that allocate are counted; a weak reference on the inner tensor (not the wrapper, which
would block `swap_tensors`) gives the bytes back when it dies. Views that outlive their base are
therefore not counted: the figures are close to, not exactly, what a caching allocator reports.
"""

from __future__ import annotations

import weakref

import torch

tracking = True
_allocated = 0
_peak = 0
# Live weak references -> bytes they count; one shared callback keeps tracking cheap per op.
_live: dict[weakref.ref, int] = {}


def _release(ref: weakref.ref) -> None:
    global _allocated
    _allocated -= _live.pop(ref, 0)


def _track_one(t: torch.Tensor) -> None:
    global _allocated, _peak
    nbytes = t.nbytes
    if nbytes == 0:
        return
    _live[weakref.ref(t, _release)] = nbytes
    _allocated += nbytes
    _peak = max(_peak, _allocated)


def track(out) -> None:
    """Count the storage of freshly allocated CPU tensors (an op's outputs)."""
    if type(out) is torch.Tensor:
        _track_one(out)
    elif type(out) in (tuple, list):
        for o in out:
            if type(o) is torch.Tensor:
                _track_one(o)


def memory_allocated(device=None) -> int:
    return _allocated


def max_memory_allocated(device=None) -> int:
    return _peak


def memory_reserved(device=None) -> int:
    # No caching allocator: everything allocated is reserved, nothing more.
    return _allocated


def max_memory_reserved(device=None) -> int:
    return _peak


def reset_peak_memory_stats(device=None) -> None:
    global _peak
    _peak = _allocated


def reset_max_memory_allocated(device=None) -> None:
    reset_peak_memory_stats(device)


def empty_cache() -> None:
    return None


def memory_stats(device=None) -> dict[str, int]:
    return {
        "allocated_bytes.all.current": _allocated,
        "allocated_bytes.all.peak": _peak,
        "reserved_bytes.all.current": _allocated,
        "reserved_bytes.all.peak": _peak,
    }


def mem_get_info(device=None) -> tuple[int, int]:
    """(free, total) bytes: host memory stands in for device memory."""
    import os

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        free = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = free = 0
    return free, total
