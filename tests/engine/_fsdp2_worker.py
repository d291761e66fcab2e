"""One rank of the FSDP2 test (run as a script by test_fsdp2.py).

``fully_shard`` turns every param into a DTensor sharded across the ranks (rank 1 holds empty
shards of the last layer). Each config trains with the fused optimizer or torch.optim's under
the same wrapping and returns the full (gathered) params; a config that raises records the
error instead, so the others still run. The ``dcp`` configs save model and optimizer through
``torch.distributed.checkpoint`` after a few steps, load them into a fresh model and optimizer
and continue: the result must equal an uninterrupted run.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
from torch.distributed.checkpoint.state_dict import (
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)
from torch.distributed.fsdp import fully_shard

from optbridge.optim import FusedRMSprop, FusedRprop

STEPS = 6
SAVE_AT = 3
OPTIMIZERS = {
    "rmsprop": ({"fused": FusedRMSprop, "torch": torch.optim.RMSprop},
                {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    "rprop": ({"fused": FusedRprop, "torch": torch.optim.Rprop}, {"lr": 0.01}),
}


def make_sharded_model() -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(),
                                torch.nn.Linear(16, 1)).double()
    for layer in model:
        if isinstance(layer, torch.nn.Linear):
            fully_shard(layer)
    fully_shard(model)
    x, y = torch.randn(32, 8, dtype=torch.float64), torch.randn(32, 1, dtype=torch.float64)
    return model, x, y


class LocalShards:
    """torch.optim on the local shards of the DTensor params: the reference that works for
    every optimizer (torch 2.13's Rprop cannot step DTensors: its for-loop ``index_put_`` and
    foreach ``_foreach_copy_`` have no sharding strategy). Both updates are element-wise, so
    stepping each rank's shard is the same update as stepping the whole tensor."""

    def __init__(self, cls: type, model: torch.nn.Module, **kw) -> None:
        self.params = list(model.parameters())
        with torch.no_grad():
            self.shards = [p.to_local() for p in self.params]  # views of the DTensors' data
        self.optimizer = cls(self.shards, **kw)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for shard, p in zip(self.shards, self.params):
            shard.grad = p.grad.to_local()
        self.optimizer.step()

    def local_state(self) -> dict:
        return [self.optimizer.state[s] for s in self.shards]


def train_steps(model, opt, x, y, rank: int, world: int, steps: int) -> None:
    shard = slice(rank * 32 // world, (rank + 1) * 32 // world)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x[shard]), y[shard]).backward()
        opt.step()


def full_params(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.full_tensor().detach().clone() for p in model.parameters()]


def local(value):
    return value.to_local().clone() if hasattr(value, "to_local") else value


def local_state(model: torch.nn.Module, opt) -> dict:
    """This rank's shard of the optimizer state: {param name: {key: local tensor}}."""
    names = [name for name, _ in model.named_parameters()]
    if isinstance(opt, LocalShards):
        states = opt.local_state()
    else:
        states = [opt.state[p] for p in model.parameters()]
    return {name: {k: local(v) for k, v in state.items()} for name, state in zip(names, states)}


def make_optimizer(impl: str, optimizer: str, model: torch.nn.Module):
    classes, kw = OPTIMIZERS[optimizer]
    if impl == "torch-local":
        return LocalShards(classes["torch"], model, **kw)
    return classes[impl](model.parameters(), **kw)


def plain(rank: int, world: int, optimizer: str, impl: str) -> dict:
    model, x, y = make_sharded_model()
    opt = make_optimizer(impl, optimizer, model)
    train_steps(model, opt, x, y, rank, world, STEPS)
    states = opt.local_state() if isinstance(opt, LocalShards) else opt.state.values()
    return {"params": full_params(model), "state": local_state(model, opt),
            "state_types": sorted({(k, type(v).__name__) for s in states for k, v in s.items()})}


def checkpointed(rank: int, world: int, optimizer: str, saver: str, loader: str,
                 path: Path) -> dict:
    model, x, y = make_sharded_model()
    opt = make_optimizer(saver, optimizer, model)
    train_steps(model, opt, x, y, rank, world, SAVE_AT)
    dcp.save({"model": get_model_state_dict(model),
              "optim": get_optimizer_state_dict(model, opt)}, checkpoint_id=str(path))
    dist.barrier()

    fresh, x, y = make_sharded_model()  # the initial values again, not the trained ones
    fresh_opt = make_optimizer(loader, optimizer, fresh)
    to_load = {"model": get_model_state_dict(fresh),
               "optim": get_optimizer_state_dict(fresh, fresh_opt)}
    dcp.load(to_load, checkpoint_id=str(path))
    set_model_state_dict(fresh, to_load["model"])
    set_optimizer_state_dict(fresh, fresh_opt, to_load["optim"])
    train_steps(fresh, fresh_opt, x, y, rank, world, STEPS - SAVE_AT)
    return {"params": full_params(fresh), "state": local_state(fresh, fresh_opt)}


# torch.optim.Rprop cannot step DTensors (see LocalShards), so it cannot save or load a
# checkpoint under fully_shard either: only our Rprop round-trips, against the local reference.
CHECKPOINTS = {"rmsprop": [("torch", "torch"), ("fused", "fused"), ("torch", "fused"),
                           ("fused", "torch")],
               "rprop": [("fused", "fused")]}
PLAIN = {"rmsprop": ["torch", "torch-local", "fused"],
         "rprop": ["torch", "torch-local", "fused"]}  # rprop-torch records torch's error


def configs(tmp: Path):
    yield "initial", lambda r, w: {"params": full_params(make_sharded_model()[0])}
    for optimizer in OPTIMIZERS:
        for impl in PLAIN[optimizer]:
            yield f"plain-{optimizer}-{impl}", lambda r, w, o=optimizer, i=impl: plain(r, w, o, i)
        for saver, loader in CHECKPOINTS[optimizer]:
            name = f"dcp-{optimizer}-{saver}-to-{loader}"
            yield name, (lambda r, w, o=optimizer, s=saver, lo=loader, p=tmp / name:
                         checkpointed(r, w, o, s, lo, p))


def main(rank: int, world: int, port: int, out: str, tmp: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world, timeout=timedelta(seconds=30))
    results = {}
    for name, run in configs(Path(tmp)):
        try:
            results[name] = run(rank, world)
        except Exception as err:  # noqa: BLE001 - reported by the test, per config
            results[name] = f"{type(err).__name__}: {err}"
        dist.barrier()
    torch.save(results, out)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
