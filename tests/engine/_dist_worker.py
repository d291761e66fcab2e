"""One rank of the DDP / ZeRO test (run as a script by test_distributed.py)."""

from __future__ import annotations

import sys
from datetime import timedelta

import torch
import torch.distributed as dist
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel

from optbridge.optim import FusedRMSprop, FusedRprop

STEPS = 8
OPTIMIZERS = {"rmsprop": (FusedRMSprop, {"lr": 0.01, "momentum": 0.9, "centered": True}),
              "rprop": (FusedRprop, {"lr": 0.01})}


def make_model_and_data() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    x, y = torch.randn(32, 8), torch.randn(32, 1)
    return model.double(), x.double(), y.double()


def single_process(optimizer: str) -> list[torch.Tensor]:
    """The reference: the full batch in one process."""
    model, x, y = make_model_and_data()
    cls, kw = OPTIMIZERS[optimizer]
    opt = cls(model.parameters(), **kw)
    for _ in range(STEPS):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


CONFIGS = [(mode, optimizer) for mode in ("ddp", "zero") for optimizer in OPTIMIZERS]


def train(rank: int, world: int, mode: str, optimizer: str) -> list[torch.Tensor]:
    model, x, y = make_model_and_data()
    ddp = DistributedDataParallel(model)
    cls, kw = OPTIMIZERS[optimizer]
    if mode == "zero":
        opt = ZeroRedundancyOptimizer(ddp.parameters(), optimizer_class=cls, **kw)
    else:
        opt = cls(ddp.parameters(), **kw)
    shard = slice(rank * 32 // world, (rank + 1) * 32 // world)
    for _ in range(STEPS):
        opt.zero_grad()
        torch.nn.functional.mse_loss(ddp(x[shard]), y[shard]).backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


def main(rank: int, world: int, port: int, out: str) -> None:
    """Run every (mode, optimizer) config in one process group: one launch, a few seconds."""
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=timedelta(seconds=30))
    results = {f"{mode}-{optimizer}": train(rank, world, mode, optimizer)
               for mode, optimizer in CONFIGS}
    torch.save(results, out)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
