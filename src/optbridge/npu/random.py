"""The npu random stream: separate from the CPU one, as on real hardware.

Random ops on npu tensors run on CPU with a dedicated generator, so seeding or drawing on the npu
never disturbs `torch.manual_seed`'s CPU stream and vice versa.
"""

from __future__ import annotations

import torch

# CUDA's default seed, so a fresh process draws the same npu numbers every time.
DEFAULT_SEED = 67280421310721

generator = torch.Generator()
generator.manual_seed(DEFAULT_SEED)
_takes_generator: dict[object, bool] = {}


def manual_seed(seed: int) -> None:
    generator.manual_seed(int(seed))


def seed() -> int:
    return generator.seed()


def initial_seed() -> int:
    return generator.initial_seed()


def get_rng_state() -> torch.Tensor:
    return generator.get_state()


def set_rng_state(state: torch.Tensor) -> None:
    if not isinstance(state, torch.Tensor) or state.dtype != torch.uint8:
        raise TypeError(f"set_rng_state expects a torch.uint8 tensor, got {type(state).__name__}")
    generator.set_state(state.cpu() if state.device.type != "cpu" else state)


def run_seeded(func, args: list, kwargs: dict):
    """Run a random op on CPU tensors with the npu generator instead of the CPU default one."""
    takes = _takes_generator.get(func)
    if takes is None:
        takes = _takes_generator[func] = any(
            a.name == "generator" and a.kwarg_only for a in func._schema.arguments
        )
    if takes:
        if kwargs.get("generator") is None:
            kwargs = {**kwargs, "generator": generator}
        return func(*args, **kwargs)
    # No generator argument (e.g. native_dropout): swap the npu state into the CPU default one.
    cpu_state = torch.default_generator.get_state()
    torch.default_generator.set_state(generator.get_state())
    try:
        return func(*args, **kwargs)
    finally:
        generator.set_state(torch.default_generator.get_state())
        torch.default_generator.set_state(cpu_state)
