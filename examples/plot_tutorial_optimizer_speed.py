"""
How fast is one RMSprop step?
=============================

Time per optimizer step, measured while this page was built, for ``torch.optim.RMSprop`` with
its single-tensor loop (``foreach=False``), with its multi-tensor kernels (``foreach=True``) and
for ``optbridge.optim.FusedRMSprop``, which keeps parameters, gradients and state in one flat
buffer and updates it in one pass. Only the step is timed, on a list of small parameters; the
numbers depend on the machine, so read them as a comparison, not as a promise.
"""

# %%
# The workload: 24 parameters of a small network's shapes, with fixed gradients, so that every
# measured step does the same work.
import time

import matplotlib.pyplot as plt
import torch

from optbridge.devices import device_from_argv
from optbridge.optim import FusedRMSprop
from optbridge.plotting import plot_bars

device = device_from_argv()
SHAPES = [(128, 128), (128,)] * 12
TIME_BUDGET_S = 0.04  # per measurement; 3 optimizers x 3 rounds, a few hundred ms in total
ROUNDS = 3


def make_parameters() -> list[torch.nn.Parameter]:
    generator = torch.Generator().manual_seed(0)
    params = []
    for shape in SHAPES:
        param = torch.nn.Parameter(torch.randn(shape, generator=generator).to(device))
        param.grad = torch.randn(shape, generator=generator).to(device) * 1e-2
        params.append(param)
    return params


# Default hyperparameters, as ``make bench`` uses them.
OPTIMIZERS = {
    "torch.optim, for-loop": lambda params: torch.optim.RMSprop(params, foreach=False),
    "torch.optim, foreach": lambda params: torch.optim.RMSprop(params, foreach=True),
    "FusedRMSprop": lambda params: FusedRMSprop(params),
}

# %%
# First the three must agree: after the same ten steps the parameters are the same (to float32
# rounding), so the timings compare equal work.
final = {}
for name, make_optimizer in OPTIMIZERS.items():
    params = make_parameters()
    optimizer = make_optimizer(params)
    for _ in range(10):
        optimizer.step()
    final[name] = torch.cat([p.detach().cpu().flatten() for p in params])
reference = final["torch.optim, for-loop"]
for name, values in final.items():
    gap = (values - reference).abs().max().item()
    print(f"{name:<22} largest difference to the for-loop after 10 steps: {gap:.1e}")
    assert gap < 1e-5, (name, gap)


# %%
# Then the timing: each optimizer steps for about 40 ms per round, and the best of three rounds
# counts (the least disturbed by whatever else the machine does). Devices that run
# asynchronously are synchronized before the clock is read.
def synchronize() -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "npu":
        torch.npu.synchronize()


def seconds_per_step(optimizer: torch.optim.Optimizer) -> float:
    optimizer.step()  # warm-up: state creation, flat buffers, kernel loading
    synchronize()
    start = time.perf_counter()
    optimizer.step()
    synchronize()
    steps = max(1, int(TIME_BUDGET_S / max(time.perf_counter() - start, 1e-6)))
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.step()
        synchronize()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


timings = {name: seconds_per_step(make(make_parameters())) for name, make in OPTIMIZERS.items()}
elements = sum(torch.Size(shape).numel() for shape in SHAPES)
print(f"device: {device}; {len(SHAPES)} parameters, {elements} elements")
for name, seconds in timings.items():
    speedup = timings["torch.optim, for-loop"] / seconds
    print(f"  {name:<22} {seconds * 1e3:8.3f} ms per step  ({speedup:4.1f}x the for-loop)")

plot_bars(
    {name: seconds * 1e3 for name, seconds in timings.items()},
    title=f"Time per RMSprop step of three optimizers on {device.type}",
    xlabel=f"milliseconds per RMSprop step ({device.type}, lower is faster)",
    ylabel="optimizer",
    title_zh=f"三种优化器在 {device.type} 上每步 RMSprop 的耗时",
    xlabel_zh=f"每步 RMSprop 的毫秒数（{device.type}，越低越快）",
    ylabel_zh="优化器",
    labels_zh={"torch.optim, for-loop": "torch.optim，逐参数循环",
               "torch.optim, foreach": "torch.optim，foreach"},
)
plt.show()
