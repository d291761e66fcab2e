"""The benchmark's building blocks (no timing is asserted: speed is the bench's business)."""

from __future__ import annotations

import math

from optbridge import bench


def test_resnet50_parameter_list_has_the_published_size():
    shapes = bench.resnet50_shapes()
    assert len(shapes) == 161
    assert sum(math.prod(s) for s in shapes) == 25_557_032


def test_workloads_match_the_issue():
    a = bench.workload_shapes("a")
    assert len(a) == 2000 and all(64 <= s[0] <= 512 for s in a)
    assert bench.workload_shapes("c") == [(1 << 20,)] * 25


def test_interleaved_best_times_every_entry():
    calls = {"x": 0, "y": 0}

    def bump(key):
        calls[key] += 1

    best = bench.interleaved_best({"x": bench.Timed(lambda: bump("x")),
                                   "y": bench.Timed(lambda: bump("y"), threads=1)},
                                  budget_s=0.01, batch_s=0.001)
    assert set(best) == {"x", "y"} and all(0 < t < 1 for t in best.values())
    assert calls["x"] >= 3 and calls["y"] >= 3


def test_paired_fraction_uses_the_same_round():
    rounds = {"stream 1": [1.0, 2.0, 1.0], "stream 2": [2.0, 1.0, 4.0], "ours": [2.0, 2.0, 4.0]}
    # per round: ours moves 24 bytes, a stream batch 12: ratios 1.0, 1.0, 0.5 -> median 1.0
    assert bench.paired_fraction(rounds, "ours", 24, 12) == 1.0


def test_a_registered_row_maker_lands_in_the_table():
    ctx = bench.BenchContext(workloads=["c"], compile_cap_s=1.0)
    ctx.rows = [bench.Row("25 x 1M", "torch.optim foreach", 0.2),
                bench.Row("25 x 1M", "optbridge FusedRMSprop", 0.01, bw_fraction=1.0)]

    def npu_rows(context):
        return [bench.Row("25 x 1M", "simulated NPU", 0.05, note="npu")]

    bench.register_rows(npu_rows)
    try:
        assert bench.ROW_MAKERS[-1] is npu_rows
        ctx.rows += npu_rows(ctx)
    finally:
        bench.ROW_MAKERS.remove(npu_rows)
    table = bench.format_table(ctx).splitlines()
    assert table[0].startswith("| workload | implementation | step (ms)")
    assert "| 25 x 1M | optbridge FusedRMSprop | 10.000 | 20.0x | - | 100% |" in table
    assert "| 25 x 1M | simulated NPU (npu) | 50.000 | 4.0x | - | - |" in table
