"""One rank of the DDP / ZeRO test (run as a script by test_distributed.py).

Every config runs with the fused optimizer and with its torch.optim counterpart under the same
wrapping; a config that raises records the error (as a string) instead of its results, so
the other configs still run and the test reports which failed and how.
"""

from __future__ import annotations

import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel

from optbridge.optim import FusedRMSprop, FusedRprop

STEPS = 8
OPTIMIZERS = {
    "rmsprop": ({"fused": FusedRMSprop, "torch": torch.optim.RMSprop},
                {"lr": 0.01, "momentum": 0.9, "centered": True}),
    "rprop": ({"fused": FusedRprop, "torch": torch.optim.Rprop}, {"lr": 0.01}),
}
IMPLS = ("fused", "torch")


def make_model_and_data() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    x, y = torch.randn(32, 8), torch.randn(32, 1)
    return model.double(), x.double(), y.double()


def single_process(optimizer: str, impl: str = "fused") -> list[torch.Tensor]:
    """The reference: the full batch in one process."""
    model, x, y = make_model_and_data()
    classes, kw = OPTIMIZERS[optimizer]
    opt = classes[impl](model.parameters(), **kw)
    for _ in range(STEPS):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


CONFIGS = [(mode, optimizer, impl) for mode in ("ddp", "zero") for optimizer in OPTIMIZERS
           for impl in IMPLS]


def train(rank: int, world: int, mode: str, optimizer: str, impl: str) -> dict:
    model, x, y = make_model_and_data()
    ddp = DistributedDataParallel(model)
    classes, kw = OPTIMIZERS[optimizer]
    if mode == "zero":
        opt = ZeroRedundancyOptimizer(ddp.parameters(), optimizer_class=classes[impl], **kw)
    else:
        opt = classes[impl](ddp.parameters(), **kw)
    shard = slice(rank * 32 // world, (rank + 1) * 32 // world)
    for _ in range(STEPS):
        opt.zero_grad()
        torch.nn.functional.mse_loss(ddp(x[shard]), y[shard]).backward()
        opt.step()
    result = {"params": [p.detach().clone() for p in model.parameters()]}
    if mode == "zero":  # every rank's shard of the state, gathered on rank 0
        opt.consolidate_state_dict(to=0)
        if rank == 0:
            result["state"] = opt.state_dict()["state"]
    return result


def zero_steps(model, impl: str, optimizer: str, rank: int, world: int, steps: int,
               state_dict: dict | None = None) -> ZeroRedundancyOptimizer:
    classes, kw = OPTIMIZERS[optimizer]
    _, x, y = make_model_and_data()
    ddp = DistributedDataParallel(model)
    opt = ZeroRedundancyOptimizer(ddp.parameters(), optimizer_class=classes[impl], **kw)
    if state_dict is not None:
        opt.load_state_dict(state_dict)
    shard = slice(rank * 32 // world, (rank + 1) * 32 // world)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(ddp(x[shard]), y[shard]).backward()
        opt.step()
    return opt


def train_zero_and_resume(rank: int, world: int, optimizer: str, saver: str,
                          loader: str) -> dict:
    """ZeRO: half the steps with ``saver``, its consolidated state dict loaded into a fresh
    ZeRO wrapping ``loader`` (on a fresh model given the trained params), the other half."""
    model = make_model_and_data()[0]
    opt = zero_steps(model, saver, optimizer, rank, world, STEPS // 2)
    opt.consolidate_state_dict(to=0)
    box = [opt.state_dict() if rank == 0 else None]
    dist.broadcast_object_list(box, src=0)  # every rank loads the whole state dict
    resumed = make_model_and_data()[0]
    resumed.load_state_dict(model.state_dict())
    zero_steps(resumed, loader, optimizer, rank, world, STEPS - STEPS // 2, state_dict=box[0])
    return {"params": [p.detach().clone() for p in resumed.parameters()]}


ROUND_TRIPS = [(optimizer, saver, loader) for optimizer in OPTIMIZERS
               for saver, loader in (("torch", "fused"), ("fused", "torch"))]


def main(rank: int, world: int, port: int, out: str) -> None:
    """Run every config in one process group: one launch, a few seconds."""
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=timedelta(seconds=30))
    results = {}
    for mode, optimizer, impl in CONFIGS:
        try:
            results[f"{mode}-{optimizer}-{impl}"] = train(rank, world, mode, optimizer, impl)
        except Exception as err:  # noqa: BLE001 - reported by the test, per config
            results[f"{mode}-{optimizer}-{impl}"] = f"{type(err).__name__}: {err}"
        dist.barrier()
    for optimizer, saver, loader in ROUND_TRIPS:
        key = f"zero-resume-{optimizer}-{saver}-to-{loader}"
        try:
            results[key] = train_zero_and_resume(rank, world, optimizer, saver, loader)
        except Exception as err:  # noqa: BLE001 - reported by the test, per config
            results[key] = f"{type(err).__name__}: {err}"
        dist.barrier()
    torch.save(results, out)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
