"""Measure how far a port lands from its source, on the simulation (``optbridge.compat``).

Both sides run through the same drivers as the mapping checks: the source's counterpart with
the source's arguments, the target's with the recipe's arguments and state. The measured gap is
what the page states and what the command line prints for the user's own values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from optbridge.mappings.checks.drivers import Driver, driver_for
from optbridge.mappings.checks.problems import PROBLEMS
from optbridge.mappings.checks.resolve import resolve_counterpart

from .expressions import evaluate
from .recipe import Ported

#: Largest weight difference still called exact: float32 rounding over a run of ~100 steps.
EXACT = 1e-6
#: Largest relative difference of one update near eps still called exact.
NEAR_EPS_EXACT = 1e-3
#: How close a re-measured gap must be to the stated one: relative, plus an absolute floor for
#: gaps at float32 rounding level.
RELATIVE_TOLERANCE = 0.05
ABSOLUTE_TOLERANCE = 1e-7
#: Gradient sizes, in units of the source's eps, of the one-step comparison near eps: 1/100 to
#: 100, four per decade.
NEAR_EPS = [10 ** (k / 4) for k in range(-8, 9)]


class TargetRejects(ValueError):
    """The simulated target refuses the recipe's arguments, as the real one would."""


class SourceRejects(ValueError):
    """The source itself refuses the arguments: there is nothing to port."""


@dataclass(frozen=True)
class Gap:
    weights: float
    near_eps: float | None

    def matches(self, stated_weights: float, stated_near_eps: float | None) -> bool:
        def close(measured: float, stated: float) -> bool:
            return abs(measured - stated) <= RELATIVE_TOLERANCE * stated + ABSOLUTE_TOLERANCE

        if not close(self.weights, stated_weights):
            return False
        if (self.near_eps is None) != (stated_near_eps is None):
            return False
        return self.near_eps is None or close(self.near_eps, stated_near_eps or 0.0)


def _source_kwargs(ported: Ported) -> dict[str, Any]:
    skip = set(ported.port.dropped)
    return {k: v for k, v in ported.source_values.items() if k not in skip}


def _drivers(ported: Ported, start: dict[str, torch.Tensor], steps: int) -> tuple[Driver, Driver]:
    mapping = ported.mapping
    sides = []
    for api, kwargs in ((mapping.source, _source_kwargs(ported)),
                        (mapping.target, ported.target_kwargs)):
        factory = resolve_counterpart(api.counterpart)
        try:
            sides.append(driver_for(api.counterpart)(factory, start, dict(kwargs), 1.0, steps))
        except (TypeError, ValueError, AssertionError) as exc:
            if api is mapping.source:
                raise SourceRejects(f"{api.api} itself rejects these arguments: {exc}") from None
            raise TargetRejects(f"{api.api} rejects these arguments: {exc}") from None
    target = sides[1]
    for name, value in ported.state.items():
        target.seed_state(name, float(value))
    return sides[0], sides[1]


def weight_gap(ported: Ported, problem: str, steps: int) -> float:
    """Largest absolute weight difference after ``steps`` steps on ``problem``."""
    spec = PROBLEMS[problem]
    source, target = _drivers(ported, spec.initial(), steps)
    for t in range(steps):
        for driver in (source, target):
            driver.step(spec.gradient(driver.values(), t))
    return max(
        (source.values()[n] - target.values()[n]).abs().max().item() for n in spec.start
    )


def near_eps_gap(ported: Ported, scale: float) -> float:
    """Largest relative difference of the first update when the gradients are ``scale`` times
    :data:`NEAR_EPS` (from zero weights, so weight decay adds nothing)."""
    start = {"w": torch.zeros(len(NEAR_EPS), dtype=torch.float64)}
    gradient = {"w": torch.tensor(NEAR_EPS, dtype=torch.float64) * scale}
    source, target = _drivers(ported, start, 1)
    updates = []
    for driver in (source, target):
        driver.step(gradient)
        updates.append(driver.values()["w"] - start["w"])
    return ((updates[0] - updates[1]).abs() / updates[0].abs()).max().item()


def measure(ported: Ported) -> Gap:
    """The gap of this port, for its values, on the recipe's problem."""
    port = ported.port
    weights = weight_gap(ported, port.problem, port.steps)
    near = None
    scale = None if port.eps_scale is None else evaluate(port.eps_scale, ported.source_values)
    if scale:
        near = near_eps_gap(ported, float(scale))
    return Gap(weights, near)
