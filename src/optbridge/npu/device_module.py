"""The `torch.npu` module of the simulated NPU (also `torch_npu.npu`).

It mirrors what torch_npu users call: availability and device management, streams and events
(synchronous stand-ins: every op has finished when it returns), seeding and RNG state, memory
statistics, `amp` and bf16 support.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Self

import torch

from optbridge.npu import amp  # noqa: F401  (torch.npu.amp)
from optbridge.npu.memory import (  # noqa: F401  (torch.npu.* API)
    empty_cache,
    max_memory_allocated,
    max_memory_reserved,
    mem_get_info,
    memory_allocated,
    memory_reserved,
    memory_stats,
    reset_max_memory_allocated,
    reset_peak_memory_stats,
)
from optbridge.npu.random import (  # noqa: F401  (torch.npu.* API)
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

IS_SIMULATED = True
_DEVICE_NAME = "Simulated Ascend NPU (optbridge, CPU-backed)"


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return True


def init() -> None:
    return None


def _is_in_bad_fork() -> bool:
    return False


def device_count() -> int:
    return 1


def _index(device) -> int:
    if device is None:
        return 0
    if isinstance(device, int):
        index = device
    else:
        parsed = torch.device(device) if isinstance(device, str) else device
        if parsed.type != "npu":
            raise ValueError(f"expected an npu device, got {parsed}")
        index = 0 if parsed.index is None else parsed.index
    if index != 0:
        raise RuntimeError(
            f"the simulated NPU has one device (npu:0); device index {index} does not exist"
        )
    return index


def current_device() -> int:
    return 0


def set_device(device) -> None:
    _index(device)


def get_device_name(device=None) -> str:
    _index(device)
    return _DEVICE_NAME


def get_device_capability(device=None) -> tuple[int, int]:
    _index(device)
    return (0, 0)


class _DeviceProperties:
    """What `torch.npu.get_device_properties` reports: host memory stands in for device memory."""

    def __init__(self) -> None:

        self.name = _DEVICE_NAME
        self.total_memory = mem_get_info()[1]
        self.major, self.minor = get_device_capability()
        self.multi_processor_count = 1

    def __repr__(self) -> str:
        return f"_NPUDeviceProperties(name='{self.name}', total_memory={self.total_memory >> 20}MB)"


def get_device_properties(device=None) -> _DeviceProperties:
    _index(device)
    return _DeviceProperties()


def get_amp_supported_dtype() -> list[torch.dtype]:
    return [torch.float16, torch.bfloat16]


def is_bf16_supported() -> bool:
    return True


def synchronize(device=None) -> None:
    _index(device)


def set_compile_mode(jit_compile: bool = False) -> None:
    """torch_npu's graph-compilation switch; the simulation always runs op by op."""


class device:
    """Context manager selecting an npu device; only npu:0 exists."""

    def __init__(self, device) -> None:
        self.idx = _index(device)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        return None


class Stream:
    """A synchronous stand-in: work submitted to it has completed when the call returns."""

    def __init__(self, device=None, priority: int = 0, **kwargs) -> None:
        self.device = torch.device("npu", _index(device))
        self.priority = priority

    def synchronize(self) -> None:
        return None

    def query(self) -> bool:
        return True

    def wait_event(self, event: Event) -> None:
        return None

    def wait_stream(self, stream: Stream) -> None:
        return None

    def record_event(self, event: Event | None = None) -> Event:
        event = event or Event()
        event.record(self)
        return event

    def __eq__(self, other) -> bool:
        return isinstance(other, Stream)

    def __hash__(self) -> int:
        return hash("npu-stream")

    def __repr__(self) -> str:
        return f"<optbridge simulated npu Stream device={self.device}>"


class Event:
    """A synchronous stand-in; `elapsed_time` measures host time between two records."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False, **kwargs) -> None:
        self.enable_timing = enable_timing
        self._time: float | None = None

    def record(self, stream: Stream | None = None) -> None:
        self._time = time.perf_counter()

    def wait(self, stream: Stream | None = None) -> None:
        return None

    def query(self) -> bool:
        return True

    def synchronize(self) -> None:
        return None

    def elapsed_time(self, end_event: Event) -> float:
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with enable_timing=True")
        if self._time is None or end_event._time is None:
            raise RuntimeError("Both events must be recorded before calling elapsed_time()")
        return (end_event._time - self._time) * 1000.0


_default_stream: Stream | None = None


def default_stream(device=None) -> Stream:
    global _default_stream
    _index(device)
    if _default_stream is None:  # made on first use: "npu" parses only once installed
        _default_stream = Stream()
    return _default_stream


def current_stream(device=None) -> Stream:
    return default_stream(device)


def set_stream(stream: Stream) -> None:
    return None


@contextlib.contextmanager
def stream(stream: Stream | None) -> Iterator[None]:
    yield


def manual_seed_all(seed: int) -> None:
    manual_seed(seed)


def seed_all() -> None:
    seed()


def get_rng_state_all() -> list[torch.Tensor]:
    return [get_rng_state()]


def set_rng_state_all(states) -> None:
    states = list(states)
    if len(states) != 1:
        raise ValueError(f"expected one RNG state (one simulated npu), got {len(states)}")
    set_rng_state(states[0])
