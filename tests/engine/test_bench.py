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


def test_table_puts_speed_up_and_bandwidth_beside_each_row():
    ctx = bench.BenchContext(workloads=["c"], compile_cap_s=1.0)
    ctx.rows = [bench.Row("25 x 1M", "torch.optim foreach", 0.2, load=1.5),
                bench.Row("25 x 1M", "optbridge FusedRMSprop", 0.01, bw_fraction=0.955,
                          load=1.25),
                bench.Row("25 x 1M", "first step", 0.05, compare=False, load=0.5),
                bench.Row("2,000 tensors", "optbridge FusedRMSprop", 0.001, load=0.5)]
    table = bench.format_table(ctx).splitlines()
    assert table[0].startswith("| workload | implementation | step (ms)")
    # 0.2 s / 0.01 s against foreach of the same workload, and the bandwidth fraction
    assert "| 25 x 1M | optbridge FusedRMSprop | 10.000 | 20.0x | - | 96% | 1.25 |" in table
    # a one-off row and a workload without a foreach row get no speed-up
    assert "| 25 x 1M | first step | 50.000 | - | - | - | 0.50 |" in table
    assert "| 2,000 tensors | optbridge FusedRMSprop | 1.000 | - | - | - | 0.50 |" in table


def test_targets_compare_each_figure_with_the_issue():
    ctx = bench.BenchContext(workloads=["a", "c"], compile_cap_s=1.0)
    c, a = bench.WORKLOADS["c"], bench.WORKLOADS["a"]
    ctx.rows = [bench.Row(c, "optbridge FusedRMSprop", 0.01, bw_fraction=0.96, load=1.0),
                bench.Row(c, "optbridge FusedRMSprop momentum+centered", 0.02,
                          bw_fraction=0.85, load=1.0),
                bench.Row(a, "torch.optim foreach", 0.02, load=1.0),
                bench.Row(a, "optbridge FusedRMSprop", 0.0004, load=1.0)]
    ctx.memory = [bench.MemoryRow(True, (1000.0, 900.0), (1010.0, 950.0), load=1.0)]
    lines = bench.targets(ctx)
    assert lines[0].endswith("96% of a.add_(b) streaming bandwidth (target >= 95%): met, "
                             "load 1.00")
    assert "85% of a.add_(b) streaming bandwidth (target >= 90%): MISSED" in lines[1]
    assert "50.0x torch.optim.RMSprop(foreach=True) (target >= 40x): met" in lines[2]
    assert "ours/torch at most 1.056 (target <= 1.02): MISSED" in lines[3]


def test_option_table_judges_each_combination_against_the_plain_step():
    from optbridge import bench_options as bo

    rows = [bo.OptionRow(bo.PLAIN, 100, 1.0, 0.9, 0.5),
            bo.OptionRow("RMSprop momentum", 140, 1.4, 0.9, 0.5),  # same bytes/s: met
            bo.OptionRow("RMSprop centered", 140, 2.0, 0.6, 0.5),  # 70% of plain: missed
            bo.OptionRow("torch.optim.Adam(fused=True) (reference)", 140, 1.4, 0.9, 0.5)]
    table = bo.format_rows(rows).splitlines()
    assert "| 100% | met |" in table[4] and "| 70% | MISSED |" in table[5]
    assert "| reference |" in table[6]
    assert bo.rmsprop_streams(True, True) == 9 and bo.rmsprop_streams(False, False) == 5
