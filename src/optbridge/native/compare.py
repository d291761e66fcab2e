"""How close two trajectories must be.

A re-run on the same framework may differ only by float rounding of the printed digits; our
simulation (``optbridge.compat`` on torch, float32) may also differ by the summation order of
the loss and the gradients, a few float32 ulps per step.
"""

from __future__ import annotations

from typing import Any

#: Re-run on the real framework: two float32 ulps (2 x 2**-23, relative). Three runs of every
#: snippet here printed identical text; a changed last digit of a printed loss (6 decimals,
#: losses below 4) is already a larger difference, so a tampered record fails.
RERUN_TOLERANCE = (0.0, 2.4e-7)  # (absolute, relative)
#: Simulation against the real run: ten steps of float32 rounding (float32 eps is 1.2e-7).
SIMULATION_TOLERANCE = (2e-6, 2e-6)


def _close(a: float, b: float, tolerance: tuple[float, float]) -> bool:
    absolute, relative = tolerance
    return abs(a - b) <= absolute + relative * abs(b)


def run_differences(expected: dict[str, Any], actual: dict[str, Any],
                    tolerance: tuple[float, float]) -> list[str]:
    problems = []
    for key in ("losses", "weight", "bias"):
        want, got = expected[key], actual[key]
        if len(want) != len(got):
            problems.append(f"{key}: {len(got)} values, expected {len(want)}")
            continue
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            if not _close(a, b, tolerance):
                problems.append(f"{key}[{i}] = {a!r}, expected {b!r} (difference {a - b:.3g})")
    return problems


def trajectory_differences(expected: list[dict[str, Any]], actual: list[dict[str, Any]],
                           rerun: bool) -> list[str]:
    """Differences of every run, as readable lines; empty when they agree."""
    tolerance = RERUN_TOLERANCE if rerun else SIMULATION_TOLERANCE
    if len(expected) != len(actual):
        return [f"{len(actual)} runs printed, {len(expected)} recorded"]
    problems = []
    for n, (want, got) in enumerate(zip(expected, actual, strict=True)):
        label = want.get("label") or f"run {n + 1}"
        problems += [f"{label}: {p}" for p in run_differences(want, got, tolerance)]
    return problems
