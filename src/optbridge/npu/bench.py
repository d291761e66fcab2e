"""Step time of a small MLP on the simulated NPU against plain CPU, measured in one process.

The simulation costs a fixed amount per aten op, so this is the number that tells whether the
per-op path stays cheap: `make bench` prints it.
"""

from __future__ import annotations

import copy
import time

import torch

MLP_WIDTH = 256
MLP_BATCH = 64
MLP_CLASSES = 10


def _mlp() -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Linear(MLP_WIDTH, MLP_WIDTH),
        torch.nn.ReLU(),
        torch.nn.Linear(MLP_WIDTH, MLP_WIDTH),
        torch.nn.ReLU(),
        torch.nn.Linear(MLP_WIDTH, MLP_CLASSES),
    )


def _trainer(model, inputs, targets, foreach: bool | None):
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, foreach=foreach)

    def step() -> None:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(inputs), targets)
        loss.backward()
        optimizer.step()

    return step


def _time_steps(step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def mlp_step_times(
    steps: int = 10, repeats: int = 25, warmup: int = 10, foreach: bool | None = None
) -> dict[str, float]:
    """Seconds per training step of a 3-layer, 256-wide MLP (256 -> 256 -> 256 -> 10, ReLU,
    batch 64, cross-entropy, torch.optim.RMSprop) on CPU and on the simulated NPU, timed
    alternately in this process; the best of `repeats` rounds of `steps` steps each (many short
    alternating rounds, so that load from other processes hits both devices alike).

    `foreach=None` lets torch choose per device, as users get it: the single-tensor loop on CPU,
    the foreach kernels on the npu (as on CUDA). `foreach=False` runs the same loop on both.
    Returns {"cpu_s", "npu_s", "ratio"} (ratio = npu_s / cpu_s). Installs the simulated NPU.
    """
    from optbridge.npu import install

    install()
    generator = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    cpu_model = _mlp()
    npu_model = copy.deepcopy(cpu_model).npu()
    inputs = torch.randn(MLP_BATCH, MLP_WIDTH, generator=generator)
    targets = torch.randint(0, MLP_CLASSES, (MLP_BATCH,), generator=generator)
    cpu_step = _trainer(cpu_model, inputs, targets, foreach)
    npu_step = _trainer(npu_model, inputs.npu(), targets.npu(), foreach)
    for _ in range(warmup):
        cpu_step()
        npu_step()
    cpu_best = npu_best = float("inf")
    for _ in range(repeats):
        cpu_best = min(cpu_best, _time_steps(cpu_step, steps))
        npu_best = min(npu_best, _time_steps(npu_step, steps))
    return {"cpu_s": cpu_best, "npu_s": npu_best, "ratio": npu_best / cpu_best}


def report() -> str:
    """One line per optimizer setting, for `make bench`."""
    lines = []
    for foreach, label in ((None, "torch's default per device"), (False, "foreach=False")):
        times = mlp_step_times(foreach=foreach)
        lines.append(
            f"MLP step, RMSprop {label}: cpu {times['cpu_s'] * 1e3:.3f} ms, simulated npu "
            f"{times['npu_s'] * 1e3:.3f} ms, ratio {times['ratio']:.2f}x (target <= 2x)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
