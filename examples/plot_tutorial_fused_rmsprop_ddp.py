"""
FusedRMSprop with DistributedDataParallel
=========================================

``optbridge.optim.FusedRMSprop`` steps on the gradients it finds in ``param.grad``, so it works
under ``torch.nn.parallel.DistributedDataParallel`` as ``torch.optim.RMSprop`` does: each process
computes gradients on its share of the batch, DDP averages them across processes during
``backward()``, and every process applies the same update. Here two processes train together
on one machine (the ``gloo`` backend on 127.0.0.1), and their result is compared with one process
training on the whole batch.
"""

# %%
# The problem, identical in every process: a small regression network and one batch of data,
# split in two halves.
import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import torch

from optbridge.devices import device_from_argv
from optbridge.optim import FusedRMSprop

WORLD_SIZE = 2
STEPS = 20
TIMEOUT_S = 120  # for the whole distributed run, process start-up included
WORKER_FLAG = "--ddp-worker"


def make_data() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(64, 8, generator=generator)
    targets = torch.sin(inputs @ torch.randn(8, 1, generator=generator))
    return inputs, targets


def make_model() -> torch.nn.Sequential:
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))


# %%
# What each process runs. DDP needs a process group; ``gloo`` works on CPU tensors. The
# optimizer is built on the DDP-wrapped model's parameters, exactly as with torch.optim.


def train_rank(rank: int, port: int) -> dict:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=WORLD_SIZE, timeout=timedelta(seconds=TIMEOUT_S))
    inputs, targets = make_data()
    share = len(inputs) // WORLD_SIZE
    inputs = inputs[rank * share:(rank + 1) * share]
    targets = targets[rank * share:(rank + 1) * share]
    model = DistributedDataParallel(make_model())
    optimizer = FusedRMSprop(model.parameters(), lr=0.01, alpha=0.9, momentum=0.9)
    losses = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()  # DDP averages the gradients of all processes here
        optimizer.step()
        losses.append(loss.item())
    weights = torch.cat([p.detach().flatten() for p in model.module.parameters()])
    dist.barrier()  # both ranks are done before either leaves
    return {"rank": rank, "losses": losses, "weights": weights.tolist()}


# The script starts itself once per rank with this flag (see below), and then only trains.
if __name__ == "__main__" and WORKER_FLAG in sys.argv:
    flag_at = sys.argv.index(WORKER_FLAG)
    rank, port = int(sys.argv[flag_at + 1]), int(sys.argv[flag_at + 2])
    print(json.dumps(train_rank(rank, port)), flush=True)
    # Leave without interpreter shutdown: tearing down gloo's threads there can abort the
    # process ("terminate called without an active exception") after the work is done.
    os._exit(0)

# %%
# Starting the two processes. Each runs this script with the worker flag, so nothing has to be
# importable; a free local port is picked for the rendezvous, and the whole run is given a time
# limit after which both processes are stopped.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_ranks() -> list[dict]:
    port = free_port()
    script = os.path.abspath(sys.argv[0])
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # two processes share the machine's cores
    processes = [
        subprocess.Popen([sys.executable, script, WORKER_FLAG, str(rank), str(port)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for rank in range(WORLD_SIZE)
    ]
    deadline = time.monotonic() + TIMEOUT_S
    try:
        # wait for both, but stop early when one fails: the other would wait for it in vain
        while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
            if any(p.poll() not in (None, 0) for p in processes):
                break
            time.sleep(0.05)
    finally:
        late = [rank for rank, p in enumerate(processes) if p.poll() is None]
        for process in processes:
            if process.poll() is None:
                process.kill()
    outputs = [p.communicate() for p in processes]
    failed = [rank for rank, p in enumerate(processes) if p.returncode != 0 and rank not in late]
    if failed:
        rank = failed[0]
        raise RuntimeError(f"rank {rank} exited with {processes[rank].returncode}:\n"
                           f"{outputs[rank][1]}")
    if late:
        raise RuntimeError(f"rank(s) {late} did not finish within {TIMEOUT_S} s")
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


# The command line is read first, so `--help` or a usage error stops before the ranks start.
device = device_from_argv()
ranks = run_ranks()

# %%
# The reference: one process, the whole batch, on the chosen device. DDP's averaged gradient
# over two equal halves is the gradient of the whole batch, so the weights must match, and the
# mean of the two processes' losses is the whole batch's loss.
inputs, targets = (t.to(device) for t in make_data())
model = make_model().to(device)
optimizer = FusedRMSprop(model.parameters(), lr=0.01, alpha=0.9, momentum=0.9)
single_losses = []
for _ in range(STEPS):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(inputs), targets)
    loss.backward()
    optimizer.step()
    single_losses.append(loss.item())
single_weights = torch.cat([p.detach().cpu().flatten() for p in model.parameters()])

rank_weights = [torch.tensor(r["weights"]) for r in ranks]
mean_losses = [sum(values) / WORLD_SIZE for values in zip(*(r["losses"] for r in ranks))]
print(f"reference device: {device}; ranks on cpu (gloo)")
print("loss at steps 1, 5, 10, 15, 20")
for label, losses in [(f"rank {r['rank']}, own half", r["losses"]) for r in ranks] + [
        ("mean of the ranks", mean_losses), ("one process, all data", single_losses)]:
    print(f"  {label:<22}" + " ".join(f"{losses[i]:8.5f}" for i in (0, 4, 9, 14, 19)))
replica_gap = (rank_weights[0] - rank_weights[1]).abs().max().item()
weight_gap = (rank_weights[0] - single_weights).abs().max().item()
loss_gap = max(abs(a - b) for a, b in zip(mean_losses, single_losses, strict=True))
print(f"largest weight difference: rank 0 vs rank 1 {replica_gap:.1e}, "
      f"DDP vs one process {weight_gap:.1e}; largest loss gap {loss_gap:.1e}")
assert replica_gap == 0.0, replica_gap
assert weight_gap < 1e-5, weight_gap
assert loss_gap < 1e-5, loss_gap

# %%
# The loss curves. (matplotlib is imported only here, so the worker processes skip it.)
import matplotlib.pyplot as plt

from optbridge.plotting import plot_curves

plot_curves(
    {
        **{f"rank {r['rank']}, loss on its half": r["losses"] for r in ranks},
        "mean of the two ranks": mean_losses,
        "one process, whole batch": single_losses,
    },
    title="Training loss per step of FusedRMSprop on two DDP ranks and in one process",
    title_zh="FusedRMSprop 在两个 DDP 进程与单进程中的每步训练损失",
    labels_zh={
        **{f"rank {r['rank']}, loss on its half": f"进程 {r['rank']}，其一半数据上的损失"
           for r in ranks},
        "mean of the two ranks": "两个进程的平均值",
        "one process, whole batch": "单进程，整批数据",
    },
)
plt.show()
