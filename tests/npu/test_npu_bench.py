"""The MLP timing used by `make bench` (correctness of the measurement, not its speed)."""

import pytest

from optbridge.npu.bench import mlp_step_times, report


@pytest.mark.parametrize("foreach", [None, False])
def test_mlp_step_times_measures_both_devices(foreach):
    times = mlp_step_times(steps=2, repeats=1, warmup=1, foreach=foreach)
    assert set(times) == {"cpu_s", "npu_s", "ratio"}
    assert 0 < times["cpu_s"] < 1 and 0 < times["npu_s"] < 1
    assert times["ratio"] == pytest.approx(times["npu_s"] / times["cpu_s"])


def test_report_names_both_settings(monkeypatch):
    from optbridge.npu import bench

    monkeypatch.setattr(
        bench, "mlp_step_times", lambda foreach=None: {"cpu_s": 1e-3, "npu_s": 1.5e-3, "ratio": 1.5}
    )
    text = report()
    assert "torch's default per device" in text and "foreach=False" in text
    assert "ratio 1.50x" in text
