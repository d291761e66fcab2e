"""``make bench``: step time of RMSprop implementations on three workloads, one table.

Rows are produced by the small functions in ``ROW_MAKERS``; each takes the shared
``BenchContext`` and returns ``Row`` objects.

Every figure comes from the same run. Implementations of a workload are timed in batches
of about 1 s, round-robin (``interleaved_best``), together with the machine's in-place streaming
bandwidth (``a.add_(b)``, 12 bytes per element), so neighbours on the shared cores slow all
of them alike; each time is the best batch mean, and the bandwidth fraction is the median
over rounds of our rate against the streaming rate measured just before it. One RMSprop step must move 20 bytes per
float32 element (read param, grad, square_avg; write param, square_avg).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

BYTES_PER_ELEMENT_STEP = 20  # float32 RMSprop without momentum: 3 reads + 2 writes
# float32 RMSprop with momentum and centered: param, grad, square_avg, grad_avg, momentum
# read (5), param, square_avg, grad_avg, momentum written (4)
BYTES_PER_ELEMENT_STEP_CENTERED = 36
MOMENTUM_CENTERED = {"momentum": 0.9, "centered": True}
WORKLOADS = {
    "a": "2,000 tensors of 64-512",
    "b": "ResNet-50 (161 tensors)",
    "c": "25 x 1M",
}


def resnet50_shapes() -> list[tuple[int, ...]]:
    """Parameter shapes of torchvision's ResNet-50 (161 tensors, 25,557,032 elements)."""
    shapes: list[tuple[int, ...]] = [(64, 3, 7, 7), (64,), (64,)]
    inplanes = 64
    for planes, blocks in ((64, 3), (128, 4), (256, 6), (512, 3)):
        for b in range(blocks):
            shapes += [(planes, inplanes, 1, 1), (planes,), (planes,),
                       (planes, planes, 3, 3), (planes,), (planes,),
                       (planes * 4, planes, 1, 1), (planes * 4,), (planes * 4,)]
            if b == 0:
                shapes += [(planes * 4, inplanes, 1, 1), (planes * 4,), (planes * 4,)]
            inplanes = planes * 4
    return shapes + [(1000, 2048), (1000,)]


def workload_shapes(name: str) -> list[tuple[int, ...]]:
    if name == "a":
        gen = torch.Generator().manual_seed(0)
        return [(int(n),) for n in torch.randint(64, 513, (2000,), generator=gen)]
    if name == "b":
        return resnet50_shapes()
    if name == "c":
        return [(1 << 20,)] * 25
    raise ValueError(f"unknown workload {name!r}; choose from {sorted(WORKLOADS)}")


def make_params(name: str) -> list[torch.nn.Parameter]:
    """Params with persistent random grads (every implementation steps on the same data)."""
    gen = torch.Generator().manual_seed(1)
    params = []
    for shape in workload_shapes(name):
        p = torch.nn.Parameter(torch.randn(shape, generator=gen))
        p.grad = torch.randn(shape, generator=gen)
        params.append(p)
    return params


@dataclass
class Timed:
    """A step function to time, and the torch thread count to time it with (None: as is)."""

    step: Callable[[], object]
    threads: int | None = None


def interleaved_rounds(entries: dict[str, Timed], budget_s: float,
                       batch_s: float = 1.0) -> dict[str, list[float]]:
    """Mean step time of each entry in each round, timing batches of all entries round-robin.

    Interleaving puts every implementation in the same time windows, so a neighbour's burst
    on the shared cores slows them all alike instead of whichever happened to be running.
    Batches last ``batch_s`` (1 s): after another entry has swept other memory, the next ~10
    steps run up to 1.5x slower (measured); long batches amortize that warm-up. At least
    three rounds are run.
    """
    default_threads = torch.get_num_threads()

    def run(entry: Timed, n: int) -> float:
        torch.set_num_threads(entry.threads or default_threads)
        start = time.perf_counter()
        for _ in range(n):
            entry.step()
        return (time.perf_counter() - start) / n

    per_batch = {}
    for key, entry in entries.items():
        run(entry, 2)  # warm-up (first steps allocate state)
        per_batch[key] = max(1, int(batch_s / max(run(entry, 1), 1e-6)))
    times: dict[str, list[float]] = {key: [] for key in entries}
    deadline = time.perf_counter() + budget_s
    while len(times[next(iter(entries))]) < 3 or time.perf_counter() < deadline:
        for key, entry in entries.items():
            times[key].append(run(entry, per_batch[key]))
    torch.set_num_threads(default_threads)
    return times


def interleaved_best(entries: dict[str, Timed], budget_s: float,
                     batch_s: float = 1.0) -> dict[str, float]:
    """Best batch mean of each entry over ``interleaved_rounds``."""
    return {k: min(v) for k, v in interleaved_rounds(entries, budget_s, batch_s).items()}


def paired_fraction(rounds: dict[str, list[float]], key: str, moved_bytes: int,
                    stream_bytes: int) -> float:
    """Median over rounds of (bytes/s of ``key``) / (best streaming bytes/s, same round).

    Each round's stream batches run right before ``key``'s, so both see the same machine.
    """
    streams = [k for k in rounds if k.startswith("stream")]
    ratios = sorted(
        (moved_bytes / t) / max(stream_bytes / rounds[s][i] for s in streams)
        for i, t in enumerate(rounds[key])
    )
    return ratios[len(ratios) // 2]


def streaming_entries(elements: int = 1 << 25) -> dict[str, Timed]:
    """``a.add_(b)`` at 1 thread and at torch's count: 12 bytes per element per call."""
    a, b = torch.randn(elements), torch.randn(elements)
    counts = sorted({1, torch.get_num_threads()})
    return {f"stream {n}": Timed(lambda: a.add_(b), n) for n in counts}


STREAM_ELEMENTS = 1 << 25


@dataclass
class Row:
    """One line of the table."""

    workload: str
    implementation: str
    step_s: float | None
    compile_s: float | None = None
    note: str = ""
    bw_fraction: float | None = None  # step bytes/s over streaming bytes/s, same windows
    compare: bool = True  # False: a one-off figure, no speed-up against foreach
    load: float = field(default_factory=lambda: os.getloadavg()[0])  # 1-min, when measured


@dataclass
class MemoryRow:
    """Resident memory of a training run of the 84M-param model, each in a fresh process."""

    set_to_none: bool
    torch_mib: tuple[float, float]  # (peak, steady)
    ours_mib: tuple[float, float]
    load: float = field(default_factory=lambda: os.getloadavg()[0])


@dataclass
class BenchContext:
    workloads: list[str]
    compile_cap_s: float
    bandwidth: dict[str, float] = field(default_factory=dict)  # by workload label
    rows: list[Row] = field(default_factory=list)
    memory: list[MemoryRow] = field(default_factory=list)


def eager_rows(ctx: BenchContext) -> list[Row]:
    """torch.optim for-loop and foreach (1 thread and torch's count: the faster is kept),
    FusedRMSprop, and the streaming reference, timed interleaved per workload."""
    from optbridge.optim import FusedRMSprop

    rows = []
    counts = sorted({1, torch.get_num_threads()})
    for name in ctx.workloads:
        label = WORKLOADS[name]
        elements = sum(p.numel() for p in make_params(name))
        entries = streaming_entries(STREAM_ELEMENTS)
        ours = FusedRMSprop(make_params(name))
        entries["ours"] = Timed(ours.step)  # right after the stream batches of each round
        if name == "c":  # the heaviest variant: 36 bytes per element
            centered = FusedRMSprop(make_params(name), **MOMENTUM_CENTERED)
            entries["ours centered"] = Timed(centered.step)
        for impl, foreach in (("torch.optim for-loop", False), ("torch.optim foreach", True)):
            opt = torch.optim.RMSprop(make_params(name), foreach=foreach)
            for n in counts:
                entries[f"{impl}|{n}"] = Timed(opt.step, n)
        rounds = interleaved_rounds(entries, budget_s=15.0)
        best = {k: min(v) for k, v in rounds.items()}
        ctx.bandwidth[label] = max(12 * STREAM_ELEMENTS / t for k, t in best.items()
                                   if k.startswith("stream"))
        for impl in ("torch.optim for-loop", "torch.optim foreach"):
            seconds, n = min((best[f"{impl}|{n}"], n) for n in counts)
            rows.append(Row(label, impl, seconds, note=f"{n} thr"))
        rows.append(Row(label, "optbridge FusedRMSprop", best["ours"],
                        bw_fraction=paired_fraction(rounds, "ours",
                                                    BYTES_PER_ELEMENT_STEP * elements,
                                                    12 * STREAM_ELEMENTS)))
        if "ours centered" in best:
            rows.append(Row(label, "optbridge FusedRMSprop momentum+centered",
                            best["ours centered"], compare=False,
                            bw_fraction=paired_fraction(
                                rounds, "ours centered",
                                BYTES_PER_ELEMENT_STEP_CENTERED * elements,
                                12 * STREAM_ELEMENTS)))
        del entries, ours, best, rounds
    return rows


MEMORY_MODEL = "84M-param MLP (5 x Linear(4096, 4096)), batch 8, float32"
_MEMORY_CHILD = r"""
import json, resource, sys, torch
from optbridge.optim import FusedRMSprop
impl, set_to_none = sys.argv[1], sys.argv[2] == "True"
torch.manual_seed(0)
model = torch.nn.Sequential(*[torch.nn.Linear(4096, 4096) for _ in range(5)])
x = torch.randn(8, 4096)
cls = FusedRMSprop if impl == "ours" else torch.optim.RMSprop
opt = cls(model.parameters(), lr=1e-4)
page = resource.getpagesize()
def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page / 2**20
for _ in range(6):
    model(x).pow(2).mean().backward()
    opt.step()
    opt.zero_grad(set_to_none=set_to_none)
steady = rss_mib()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"peak": peak, "steady": steady}))
"""


def memory_of(impl: str, set_to_none: bool) -> tuple[float, float]:
    """(peak, steady) RSS in MiB of 6 training steps in a fresh process."""
    done = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, impl, str(set_to_none)],
                          capture_output=True, text=True, check=True, timeout=600)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["peak"], result["steady"]


def memory_rows(ctx: BenchContext) -> list[Row]:
    """RSS of torch.optim.RMSprop and FusedRMSprop on the 84M-param model, both zero_grad
    modes, each measured in its own fresh process (into ``ctx.memory``)."""
    for set_to_none in (True, False):
        ctx.memory.append(MemoryRow(set_to_none, memory_of("torch", set_to_none),
                                    memory_of("ours", set_to_none)))
    return []


def format_memory(ctx: BenchContext) -> str:
    """Markdown table of ``ctx.memory``: ours over torch's, peak and steady."""
    head = ("| zero_grad | torch peak | ours peak | ratio | torch steady | ours steady | ratio "
            "| load 1m |")
    lines = [f"Resident memory, {MEMORY_MODEL}, 6 steps, each run in a fresh process (MiB):",
             head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m in ctx.memory:
        (tp, ts), (op, os_) = m.torch_mib, m.ours_mib
        lines.append(f"| set_to_none={m.set_to_none} | {tp:.0f} | {op:.0f} | {op / tp:.3f} "
                     f"| {ts:.0f} | {os_:.0f} | {os_ / ts:.3f} | {m.load:.2f} |")
    return "\n".join(lines)


def targets(ctx: BenchContext) -> list[str]:
    """Each target of the issue against this run's figures."""
    lines = []

    def row(workload: str, implementation: str) -> Row | None:
        return next((r for r in ctx.rows if r.workload == workload
                     and r.implementation == implementation and r.step_s), None)

    for impl, goal in (("optbridge FusedRMSprop", 0.95),
                       ("optbridge FusedRMSprop momentum+centered", 0.90)):
        r = row(WORKLOADS["c"], impl)
        if r is not None and r.bw_fraction is not None:
            verdict = "met" if r.bw_fraction >= goal else "MISSED"
            lines.append(f"- 25 x 1M, {impl}: {100 * r.bw_fraction:.0f}% of a.add_(b) streaming "
                         f"bandwidth (target >= {100 * goal:.0f}%): {verdict}, load {r.load:.2f}")
    ours, foreach = row(WORKLOADS["a"], "optbridge FusedRMSprop"), row(WORKLOADS["a"],
                                                                      "torch.optim foreach")
    if ours is not None and foreach is not None:
        ratio = foreach.step_s / ours.step_s
        verdict = "met" if ratio >= 40 else "MISSED"
        lines.append(f"- 2,000 small tensors: {ratio:.1f}x torch.optim.RMSprop(foreach=True) "
                     f"(target >= 40x): {verdict}, load {ours.load:.2f}")
    for m in ctx.memory:
        worst = max(o / t for o, t in zip(m.ours_mib, m.torch_mib))
        verdict = "met" if worst <= 1.02 else "MISSED"
        lines.append(f"- RSS, zero_grad(set_to_none={m.set_to_none}): ours/torch at most "
                     f"{worst:.3f} (target <= 1.02): {verdict}, load {m.load:.2f}")
    return lines


_COMPILED_CHILD = r"""
import json, sys, time, torch
from optbridge.bench import make_params, interleaved_best, Timed
from optbridge.optim import FusedRMSprop
params = make_params(sys.argv[1])
opt = torch.optim.RMSprop(params, foreach=True)
@torch.compile(fullgraph=False)
def step():
    opt.step()
start = time.perf_counter()
step()
compile_s = time.perf_counter() - start
ours = FusedRMSprop(make_params(sys.argv[1]))
best = interleaved_best({"compiled": Timed(step), "ours": Timed(ours.step)}, budget_s=6.0)
print(json.dumps({"compile_s": compile_s, "step_s": best["compiled"], "ours_s": best["ours"]}))
"""


def compiled_rows(ctx: BenchContext) -> list[Row]:
    """torch.compile of torch.optim.RMSprop.step, cold cache, in a child process (capped)."""
    rows = []
    for name in ctx.workloads:
        label = "torch.compile(torch.optim step)"
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache}  # a cold, honest compile
            try:
                done = subprocess.run([sys.executable, "-c", _COMPILED_CHILD, name], env=env,
                                      check=False, capture_output=True, text=True,
                                      timeout=ctx.compile_cap_s)
            except subprocess.TimeoutExpired:
                rows.append(Row(WORKLOADS[name], label, None, None,
                                note=f"compile not finished after {ctx.compile_cap_s:.0f} s cap"))
                continue
        if done.returncode != 0:
            rows.append(Row(WORKLOADS[name], label, None,
                            note="failed: " + done.stderr.strip().splitlines()[-1][:60]))
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(Row(WORKLOADS[name], label, result["step_s"], result["compile_s"],
                        note=f"ours {result['ours_s'] * 1e3:.2f} ms in the same process"))
    return rows


def first_step_row(ctx: BenchContext) -> list[Row]:
    """A fresh process: load the cached kernel, then the first step on workload (c)."""
    code = ("import time, torch\n"
            "from optbridge.engine.kernels import cpu\n"
            "from optbridge.optim import FusedRMSprop\n"
            "from optbridge.bench import make_params\n"
            "t = time.perf_counter(); cpu.load(); load_s = time.perf_counter() - t\n"
            "ps = make_params('c'); opt = FusedRMSprop(ps); t = time.perf_counter()\n"
            "opt.step(); print(load_s, time.perf_counter() - t)\n")
    label = "optbridge first step, fresh process"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          timeout=300)
    if done.returncode != 0:
        return [Row(WORKLOADS["c"], label, None, note="failed")]
    load_s, step_s = (float(x) for x in done.stdout.split())
    return [Row(WORKLOADS["c"], label, step_s, compare=False,
                note=f"kernel load {load_s * 1e3:.0f} ms from disk cache; step includes "
                     "creating the state")]


def simulated_npu_rows(ctx: BenchContext) -> list[Row]:
    """A training step of a small MLP on the simulated NPU against CPU, in a fresh process (the
    simulation must be installed before autograd first runs there)."""
    workload = "MLP 3x256, batch 64 (training step)"
    code = ("import json\nfrom optbridge.npu import install\ninstall()\n"
            "from optbridge.npu.bench import mlp_step_times\nprint(json.dumps(mlp_step_times()))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=300)
    if done.returncode != 0:
        return [Row(workload, "simulated NPU", None, compare=False, note="failed")]
    times = json.loads(done.stdout.strip().splitlines()[-1])
    return [
        Row(workload, "CPU, torch.optim.RMSprop", times["cpu_s"], compare=False),
        Row(workload, "simulated NPU, torch.optim.RMSprop", times["npu_s"], compare=False,
            note=f"{times['ratio']:.2f}x CPU"),
    ]


ROW_MAKERS: list[Callable[[BenchContext], list[Row]]] = [eager_rows, memory_rows,
                                                         compiled_rows, first_step_row,
                                                         simulated_npu_rows]


def format_table(ctx: BenchContext) -> str:
    """Markdown table; speed-ups are against torch foreach of the same workload."""
    foreach = {r.workload: r.step_s for r in ctx.rows
               if r.implementation == "torch.optim foreach" and r.step_s}
    head = ("| workload | implementation | step (ms) | vs foreach | compile (s) "
            "| % of stream BW | load 1m |")
    lines = [head, "|---|---|---:|---:|---:|---:|---:|"]
    for r in ctx.rows:
        step = f"{r.step_s * 1e3:.3f}" if r.step_s else "-"
        speed = (f"{foreach[r.workload] / r.step_s:.1f}x"
                 if r.compare and r.step_s and r.workload in foreach else "-")
        comp = f"{r.compile_s:.1f}" if r.compile_s is not None else "-"
        frac = f"{100 * r.bw_fraction:.0f}%" if r.bw_fraction is not None else "-"
        impl = r.implementation + (f" ({r.note})" if r.note else "")
        lines.append(f"| {r.workload} | {impl} | {step} | {speed} | {comp} | {frac} "
                     f"| {r.load:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="abc", help="subset of 'abc' (default: all)")
    parser.add_argument("--compile-cap", type=float, default=60.0,
                        help="seconds allowed for each torch.compile run (default 60)")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile rows")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory rows")
    parser.add_argument("--no-options", action="store_true",
                        help="skip the table of every option combination (about 1 min)")
    parser.add_argument("--no-install", action="store_true",
                        help="skip the first step after a fresh pip install (about 3 min)")
    args = parser.parse_args(argv)
    ctx = BenchContext(workloads=[w for w in "abc" if w in args.workloads],
                       compile_cap_s=args.compile_cap)
    from optbridge.engine.kernels import available_kernels

    start = time.perf_counter()
    for maker in ROW_MAKERS:
        if (args.no_compile and maker is compiled_rows) or (args.no_memory
                                                             and maker is memory_rows):
            continue
        ctx.rows.extend(maker(ctx))
    order = {label: i for i, label in enumerate(WORKLOADS.values())}
    ctx.rows.sort(key=lambda r: order.get(r.workload, len(order)))
    streams = ", ".join(f"{w} {b / 1e9:.1f}" for w, b in ctx.bandwidth.items())
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min) at the end: {load}; {os.cpu_count()} CPUs")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"kernels {available_kernels()}, RMSprop defaults, float32; streaming bandwidth "
          f"a.add_(b) in GB/s, measured interleaved with each workload: {streams}")
    print(format_table(ctx))
    if ctx.memory:
        print()
        print(format_memory(ctx))
    if not args.no_options:
        from optbridge import bench_options

        print()
        print(bench_options.format_rows(bench_options.measure()))
    print()
    print("Targets:")
    print("\n".join(targets(ctx)))
    if not args.no_install:
        from optbridge import bench_install

        print(bench_install.format_first_step(bench_install.measure()))
    print(f"total bench time {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
