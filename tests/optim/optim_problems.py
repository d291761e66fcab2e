"""Shared problems for the drop-in optimizer tests: small, random, fast."""

from __future__ import annotations

import functools
import traceback
from pathlib import Path

import torch

import optbridge

OPTBRIDGE_DIR = Path(optbridge.__file__).resolve().parent


def make_params(dtypes: list[torch.dtype], seed: int = 0) -> list[torch.nn.Parameter]:
    """A few params per dtype with awkward sizes (odd lengths, a scalar, a matrix)."""
    gen = torch.Generator().manual_seed(seed)
    shapes = [(7,), (3, 5), (), (33,), (4, 4, 2)]
    params = []
    for i, dtype in enumerate(dtypes):
        for shape in shapes[i % 2 :]:
            params.append(torch.nn.Parameter(torch.randn(shape, generator=gen).to(dtype)))
    return params


def quadratic_loss(params: list[torch.Tensor], seed: int = 1) -> torch.Tensor:
    """sum_i c_i * (p_i - t_i)^2 with fixed random c > 0 and targets t, in float64."""
    gen = torch.Generator().manual_seed(seed)
    loss = torch.zeros((), dtype=torch.float64)
    for p in params:
        c = torch.rand(p.shape, generator=gen, dtype=torch.float64) + 0.5
        t = torch.randn(p.shape, generator=gen, dtype=torch.float64)
        loss = loss + (c * (p.double() - t) ** 2).sum()
    return loss


def clone_params(params: list[torch.nn.Parameter]) -> list[torch.nn.Parameter]:
    return [torch.nn.Parameter(p.detach().clone()) for p in params]


def errors_of_ours_fail_the_test(namespace: dict) -> None:
    """Wrap every ``test_*`` function of a module so that an exception raised inside optbridge
    (not by torch's reference class, not a failed assertion) fails the test as an
    AssertionError naming where it came from, instead of erroring out of it."""
    for name, test in list(namespace.items()):
        if name.startswith("test_") and callable(test):
            namespace[name] = _reraise_ours(test)


def _reraise_ours(test):
    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        try:
            return test(*args, **kwargs)
        except AssertionError:
            raise
        except Exception as err:
            frames = [f for f in traceback.extract_tb(err.__traceback__)
                      if Path(f.filename).resolve().is_relative_to(OPTBRIDGE_DIR)]
            if not frames:
                raise
            where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}"
            raise AssertionError(f"optbridge raised {type(err).__name__} ({where}) where "
                                 f"torch.optim does not: {err}") from err

    return wrapper
