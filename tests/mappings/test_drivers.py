"""The check drivers feed every framework the same gradients and the same lr schedule."""

from __future__ import annotations

import pytest
import torch

from optbridge.mappings.checks.drivers import driver_for
from optbridge.mappings.checks.problems import PROBLEMS
from optbridge.mappings.checks.resolve import resolve_counterpart

# Rules that are the same maths (eps inside the root, lr inside the momentum buffer): with the
# accumulator starting at zero (Keras, Paddle, optax) or at one (MindSpore, TF1).
FROM_ZERO = {
    "optbridge.compat.keras:RMSprop": {"learning_rate": 0.01, "rho": 0.9, "momentum": 0.9,
                                       "epsilon": 1e-7},
    "optbridge.compat.paddle:RMSProp": {"learning_rate": 0.01, "rho": 0.9, "momentum": 0.9,
                                        "epsilon": 1e-7},
    "optbridge.compat.optax:rmsprop": {"learning_rate": 0.01, "decay": 0.9, "momentum": 0.9,
                                       "eps": 1e-7},
}
FROM_ONE = {
    "optbridge.compat.mindspore:RMSProp": {"learning_rate": 0.01, "decay": 0.9, "momentum": 0.9,
                                           "epsilon": 1e-7},
    "optbridge.compat.tf1:RMSPropOptimizer": {"learning_rate": 0.01, "decay": 0.9,
                                              "momentum": 0.9, "epsilon": 1e-7},
}
ALL = {**FROM_ZERO, **FROM_ONE, "torch.optim:RMSprop": {"lr": 0.01, "alpha": 0.9, "momentum": 0.9}}


def run(spec: str, kwargs: dict, lr_gamma: float, steps: int = 6) -> torch.Tensor:
    problem = PROBLEMS["quadratic"]
    driver = driver_for(spec)(resolve_counterpart(spec), problem.initial(), dict(kwargs),
                              lr_gamma, steps)
    for t in range(steps):
        driver.step(problem.gradient(driver.values(), t))
    return driver.values()["w"]


@pytest.mark.parametrize("spec", sorted(ALL))
def test_driver_applies_the_schedule(spec: str) -> None:
    constant, decayed = run(spec, ALL[spec], 1.0), run(spec, ALL[spec], 0.5)
    assert not torch.equal(constant, decayed)
    # A decaying lr moves less far from the start.
    start = PROBLEMS["quadratic"].initial()["w"]
    assert (decayed - start).abs().sum() < (constant - start).abs().sum()


@pytest.mark.parametrize("family", [FROM_ZERO, FROM_ONE])
def test_same_rules_agree_under_a_schedule(family: dict) -> None:
    results = {spec: run(spec, kwargs, 0.5) for spec, kwargs in family.items()}
    first = next(iter(results.values()))
    for spec, result in results.items():
        torch.testing.assert_close(result, first, rtol=1e-6, atol=1e-7, msg=spec)
