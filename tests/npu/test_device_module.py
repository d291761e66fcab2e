"""The torch.npu module (and its torch_npu.npu alias)."""

import time

import pytest
import torch

import optbridge.npu as torch_npu


def test_alias_and_availability():
    assert torch_npu.npu is torch.npu
    assert torch.npu.is_available() and torch.npu.device_count() == 1
    assert torch.npu.current_device() == 0
    torch.npu.set_device("npu:0")
    torch.npu.set_device(0)
    torch.npu.synchronize()
    torch.accelerator.synchronize()
    with torch.npu.device(0):
        assert torch.npu.current_device() == 0


def test_second_device_index_is_refused():
    with pytest.raises(RuntimeError, match="device index 1 does not exist"):
        torch.npu.set_device(1)


def test_streams_and_events_are_synchronous_stand_ins():
    stream = torch.npu.Stream()
    with torch.npu.stream(stream):
        current = torch.npu.current_stream()
        assert isinstance(current, torch.npu.Stream) and current.device == torch.device("npu", 0)
        assert current is torch.npu.default_stream()
    start = torch.npu.Event(enable_timing=True)
    end = torch.npu.Event(enable_timing=True)
    start.record()
    total = torch.ones(100, device="npu").sum()
    # Synchronous: the work is done when the call returns, so nothing is ever pending.
    assert stream.query() and end.query() and total.item() == 100.0
    time.sleep(0.05)
    end.record()
    end.synchronize()
    # Host time between the two records, in milliseconds, as torch.cuda.Event reports it.
    assert 45.0 <= start.elapsed_time(end) < 5000.0
    with pytest.raises(RuntimeError, match="must be recorded"):
        torch.npu.Event(enable_timing=True).elapsed_time(end)
    with pytest.raises(RuntimeError, match="enable_timing=True"):
        torch.npu.Event().elapsed_time(end)


def test_memory_statistics_follow_allocations():
    torch.npu.reset_peak_memory_stats()
    before = torch.npu.memory_allocated()
    block = torch.empty(1024, 1024, device="npu")  # 4 MiB
    assert torch.npu.memory_allocated() - before == 4 * 1024 * 1024
    assert torch.npu.max_memory_allocated() >= before + 4 * 1024 * 1024
    assert torch.npu.memory_reserved() >= torch.npu.memory_allocated()
    del block
    assert torch.npu.memory_allocated() == before
    assert torch.npu.max_memory_allocated() >= before + 4 * 1024 * 1024
    torch.npu.reset_peak_memory_stats()
    assert torch.npu.max_memory_allocated() == before
    torch.npu.empty_cache()
    free, total = torch.npu.mem_get_info()
    assert 0 <= free <= total


def test_device_properties():
    assert "Simulated" in torch.npu.get_device_name(0)
    properties = torch.npu.get_device_properties(0)
    assert properties.total_memory > 0 and "Simulated" in properties.name
    assert torch.float16 in torch.npu.get_amp_supported_dtype()


def test_optim_namespace_is_lazy_and_rejects_unknown_names():
    with pytest.raises(AttributeError, match="NpuFusedLamb"):
        torch_npu.optim.NpuFusedLamb  # noqa: B018
