"""How close two trajectories must be, and why.

A trajectory holds the numbers a script printed: every step's loss and the final weights, each
printed to some last digit (``printed_digit``: ``-6`` for ``loss 3.185902``). Two runs may
differ by

- the rounding of the printed digits: each printed value is within half a unit of its last digit
  of the true one, so values a hair apart can print one unit apart (``3.1859025`` prints
  ``3.185902`` or ``3.185903``);
- float32 rounding that grows with the steps taken: a step's forward pass, gradient and update
  each round once per operation, and an error made at step 1 is carried into every later step.
  The bound is a number of float32 ulps of the value per step taken (the loss of step ``n``:
  ``n`` steps; the final weights: every step of the run).

Re-runs on the real framework (:data:`RERUN_ULPS_PER_STEP`). The same release on another CPU
picks other BLAS/oneDNN kernels (AVX-512 instead of AVX2: a dot product summed in another
order), which changes the last bits. Measured on an AVX-512 Xeon, under every entry of
:data:`optbridge.native.isa.CHECKED` (the CPU's default, MKL or oneDNN limited to AVX2, both)
against records made on a machine without AVX-512 and again limited to AVX2: the snippets printed
the same digits or differed by one unit of the last one (``3.185902`` against ``3.185903``),
at most 0.07 ulps per step beyond the printed digit (:func:`measured_ulps_per_step`; ``make
frameworks-check`` prints it for every script); the port scripts, which print every float32 bit,
by at most 2 ulps over 100 steps (0.02 per step). Allowed: 1 ulp per step, over ten times the
measured, so a CPU with yet another kernel set still passes, while a printed loss changed in
its fifth decimal after ten steps (1e-5 against 1e-6 + 10 x 2.4e-7 = 3.4e-6) or a weight changed
by 1e-5 (against 6e-7) fails.

Our simulation against the real run (:data:`SIMULATION_ULPS_PER_STEP`): ``optbridge.compat``
runs the framework's rule on torch in float32, with torch's summation order for the loss and the
gradients and torch's rounding of each operation (``rsqrt`` against ``1/sqrt``, fused
multiply-adds). Measured over every recorded run, with torch's kernels at their default and
limited to AVX2: at most 0.17 ulps per step beyond half the printed digit (optax's rmsprop
against MindSpore's script). Allowed: 1 ulp per step, six times that, while a wrong rule (eps
placement, the accumulator's start, lr inside the momentum buffer) moves ten-step losses by
1e-3 or more, thousands of ulps.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Allowed difference of a re-run on the real framework, in float32 ulps per step taken (see the
#: module docstring for the measurements).
RERUN_ULPS_PER_STEP = 1.0
#: Allowed difference of our simulation from a real run, in float32 ulps per step taken.
SIMULATION_ULPS_PER_STEP = 1.0
#: The vectors of a run, in the order a snippet prints them.
FIELDS = ("losses", "weight", "bias")


def ulp32(value: float) -> float:
    """The spacing of float32 numbers at ``value`` (one unit in the last place)."""
    return float(np.spacing(np.float32(abs(value)), dtype=np.float32))


def allowed(expected: float, actual: float, steps: int, ulps_per_step: float,
            printed_unit: float) -> float:
    """The largest difference of two values ``steps`` steps into a run that still agree."""
    return printed_unit + ulps_per_step * steps * ulp32(max(abs(expected), abs(actual)))


def _unit(*runs: dict[str, Any], field: str) -> float:
    """How far printing alone can move ``field`` apart in ``runs``: half a unit of its last
    printed digit for each printed run (none for a simulation's full-precision numbers)."""
    return sum(0.5 * 10.0 ** run["printed_digit"][field] for run in runs if "printed_digit" in run)


def run_differences(expected: dict[str, Any], actual: dict[str, Any],
                    ulps_per_step: float) -> list[str]:
    problems = []
    steps = len(expected["losses"])
    for key in FIELDS:
        want, got = expected[key], actual[key]
        if len(want) != len(got):
            problems.append(f"{key}: {len(got)} values, expected {len(want)}")
            continue
        unit = _unit(expected, actual, field=key)
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            taken = i + 1 if key == "losses" else steps
            limit = allowed(b, a, taken, ulps_per_step, unit)
            if not abs(a - b) <= limit:  # NaN never agrees
                problems.append(f"{key}[{i}] = {a!r}, expected {b!r} (difference "
                                f"{a - b:.3g}, allowed {limit:.3g})")
    return problems


def trajectory_differences(expected: list[dict[str, Any]], actual: list[dict[str, Any]],
                           rerun: bool) -> list[str]:
    """Differences of every run, as readable lines; empty when they agree. ``rerun``: the same
    framework again (:data:`RERUN_ULPS_PER_STEP`), else our simulation against a real run
    (:data:`SIMULATION_ULPS_PER_STEP`)."""
    ulps = RERUN_ULPS_PER_STEP if rerun else SIMULATION_ULPS_PER_STEP
    if len(expected) != len(actual):
        return [f"{len(actual)} runs printed, {len(expected)} recorded"]
    problems = []
    for n, (want, got) in enumerate(zip(expected, actual, strict=True)):
        label = want.get("label") or f"run {n + 1}"
        problems += [f"{label}: {p}" for p in run_differences(want, got, ulps)]
    return problems


def measured_ulps_per_step(expected: dict[str, Any], actual: dict[str, Any]) -> float:
    """How many float32 ulps per step ``actual`` is from ``expected``, beyond the printed digit:
    the number :data:`RERUN_ULPS_PER_STEP` and :data:`SIMULATION_ULPS_PER_STEP` bound."""
    worst = 0.0
    steps = len(expected["losses"])
    for key in FIELDS:
        unit = _unit(expected, actual, field=key)
        for i, (a, b) in enumerate(zip(actual[key], expected[key], strict=True)):
            taken = i + 1 if key == "losses" else steps
            excess = max(0.0, abs(a - b) - unit)
            worst = max(worst, excess / (taken * ulp32(max(abs(a), abs(b)))))
    return worst if math.isfinite(worst) else math.inf
