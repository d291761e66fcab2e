"""The displayed signature line is read parameter by parameter; every kind of mismatch is named."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

from optbridge.frameworks.recording.mapping_cases import PROBLEMS as RECORDED_PROBLEMS
from optbridge.mappings.checks.displayed import displayed_problems, parse_displayed
from optbridge.mappings.checks.problems import PROBLEMS


def real(a, lr=0.01, etas=(0.5, 1.2), *, maximize=False, **kwargs):
    """The 'live' signature the displayed lines below are compared with."""


REAL = inspect.signature(real)


def test_a_true_line_passes() -> None:
    assert displayed_problems("f.g(a, lr=1e-2, etas=(0.5, 1.2), *, maximize=False, **kwargs)",
                              REAL) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("f(a, lr=0.02, etas=(0.5, 1.2), *, maximize=False, **kwargs)",
         "shows lr=0.02, the signature has 0.01"),
        ("f(a, lr=0.01, etas=(0.5, 1), *, maximize=False, **kwargs)",
         "shows etas=(0.5, 1), the signature has (0.5, 1.2)"),
        ("f(a, lr=0.01, etas=(0.5, 1.2), *, maximize=0, **kwargs)",
         "shows maximize=0, the signature has False"),  # same value, another type
        ("f(a=None, lr=0.01, etas=(0.5, 1.2), *, maximize=False, **kwargs)",
         "shows a=None, the signature has no default"),
        ("f(a, lr=0.01, etas=(0.5, 1.2), maximize=False, **kwargs)",
         "shows 'maximize' in the wrong place: it is keyword-only"),
        ("f(a, lr=0.01, *, maximize=False, **kwargs)", "omits 'etas'"),
        ("f(a, lr=0.01, etas=(0.5, 1.2), *, maximize=False, foreach=None, **kwargs)",
         "shows 'foreach', which is not a parameter"),
        ("f(a, etas=(0.5, 1.2), lr=0.01, *, maximize=False, **kwargs)",
         "shows the parameters in another order"),
        ("f(a, lr=0.01, etas=(0.5, 1.2), *, maximize=False)", "omits **kwargs"),
        ("f(a, lr=0.01, etas=(0.5, 1.2), *, maximize=False, **kwargs", "cannot read"),
        ("f(a, lr=min(1, 2))", "is not a literal"),
    ],
)
def test_a_wrong_line_is_named(line: str, expected: str) -> None:
    problems = displayed_problems(line, REAL)
    assert any(expected in p for p in problems), problems


def test_recorded_signatures_do_not_compare_keyword_only_markers() -> None:
    recorded = inspect.Signature([inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                    default=d)
                                  for n, d in (("lr", 0.01), ("maximize", False))])
    assert displayed_problems("f(lr=0.01, *, maximize=False)", recorded, kinds_known=False) == []
    assert displayed_problems("f(lr=0.01, *, maximize=False)", recorded) != []


def test_parse_keeps_kinds_and_defaults() -> None:
    sig = parse_displayed("torch.optim.Rprop(params, lr=0.01, step_sizes=(1e-06, 50), *, "
                          "foreach=None)")
    assert list(sig.parameters) == ["params", "lr", "step_sizes", "foreach"]
    assert sig.parameters["step_sizes"].default == (1e-06, 50)
    assert sig.parameters["foreach"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig.parameters["params"].default is inspect.Parameter.empty


@pytest.mark.parametrize("name", sorted(RECORDED_PROBLEMS))
def test_recorded_problems_match_the_checks_problems(name: str) -> None:
    """The numpy copies the recorders run equal the torch problems the checks run."""
    start, gradient = RECORDED_PROBLEMS[name]
    problem = PROBLEMS[name]
    assert start == problem.start
    params = {n: np.asarray(v, np.float32) for n, v in start.items()}
    for step in range(7):
        ours = problem.gradient({n: torch.from_numpy(v) for n, v in params.items()}, step)
        theirs = gradient(params, step)
        for n in params:
            np.testing.assert_array_equal(ours[n].numpy(), theirs[n])
