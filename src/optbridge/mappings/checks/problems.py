"""The deterministic problems a trajectory check runs both sides on.

Each problem gives named float32 starting parameters and the gradient at step ``t``. They are
defined for readers on docs/guide/reading-a-mapping-page.md ("The test problems"); keep the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

Gradient = Callable[[dict[str, Tensor], int], dict[str, Tensor]]


@dataclass(frozen=True)
class Problem:
    start: dict[str, list[float]]
    gradient: Gradient

    def initial(self) -> dict[str, Tensor]:
        return {name: torch.tensor(v, dtype=torch.float32) for name, v in self.start.items()}


def _quadratic(params: dict[str, Tensor], step: int) -> dict[str, Tensor]:
    return {name: 2 * w for name, w in params.items()}  # loss = sum(w**2)


def _small_gradient(params: dict[str, Tensor], step: int) -> dict[str, Tensor]:
    # loss = 5e-5 * sum(w**2): gradients near 1e-4, where sqrt(eps) of a default eps (1e-8)
    # is as large as sqrt(v) and the place of eps in the denominator matters.
    return {name: 1e-4 * w for name, w in params.items()}


def _sign_flip(params: dict[str, Tensor], step: int) -> dict[str, Tensor]:
    # Independent of w: sign flips and zero gradients on a fixed schedule (for Rprop, and to
    # show weight decay, which a gradient proportional to w would hide).
    pattern = torch.tensor([(-1.0) ** step, (-1.0) ** (step // 2), 0.0 if step % 3 == 2 else 1.0])
    scaled = pattern * torch.tensor([1.0, 2.0, 3.0])
    return {name: scaled[: w.numel()].clone() for name, w in params.items()}


_NAMED = {"dense.weight": [1.0, -2.0, 3.0], "bn.gamma": [0.5, -1.5]}
PROBLEMS: dict[str, Problem] = {
    "quadratic": Problem({"w": [1.0, -2.0, 3.0]}, _quadratic),
    "sign_flip": Problem({"w": [1.0, -2.0, 3.0]}, _sign_flip),
    "small_gradient": Problem({"w": [1.0, -2.0, 3.0]}, _small_gradient),
    "named_params": Problem(_NAMED, _quadratic),
    "named_sign_flip": Problem(_NAMED, _sign_flip),
}
