"""Every numeric claim of the project's tables, judged again with its bound moved just past the
measured difference: a tolerance a few times tighter than the difference, or a lower bound a
few times above it, must fail; the bound as written must pass. A judge that loosened every
tolerance a thousandfold (``diff <= tol * 1000``) would fail here."""

from __future__ import annotations

from pathlib import Path

import pytest

from optbridge.mappings import load_all
from optbridge.mappings.checks.verdicts import run_check
from optbridge.mappings.schema import RecordedCheck, TrajectoryCheck

ROOT = Path(__file__).parents[2]
NUMERIC = [
    pytest.param(item.mapping, check, id=f"{item.slug}:{name}")
    for item in load_all(ROOT / "docs" / "mappings")
    for name, check in item.mapping.checks.items()
    if isinstance(check, TrajectoryCheck | RecordedCheck)
]
#: How far past the measured difference each moved bound lies.
FACTOR = 3.0


@pytest.mark.parametrize(("mapping", "check"), NUMERIC)
def test_numeric_claim_fails_just_past_its_edge(mapping, check) -> None:
    verdict = run_check(mapping, check)
    assert verdict.passed, verdict.detail
    measured = verdict.measured
    assert measured is not None
    if check.expect == "agree":
        # At its edge: a tolerance equal to the difference passes, a tighter one fails.
        assert run_check(mapping, check.model_copy(update={"tolerance": measured})).passed
        if measured > 0:
            tighter = check.model_copy(update={"tolerance": measured / FACTOR})
            assert not run_check(mapping, tighter).passed
    else:
        above = check.model_copy(update={"min_difference": measured * FACTOR})
        assert not run_check(mapping, above).passed
        below = check.model_copy(update={"max_difference": measured / FACTOR,
                                         "min_difference": measured / FACTOR ** 2})
        assert not run_check(mapping, below).passed


def test_an_agree_claim_with_zero_difference_fails_at_any_positive_difference() -> None:
    """Claims that agree exactly cannot show a loosened judge above; this one can: the same
    check with its tolerance a few times under a known positive difference."""
    from optbridge.mappings.checks.verdicts import _judge

    check = TrajectoryCheck(kind="trajectory", expect="agree", tolerance=1e-6)
    assert _judge(check, 1e-6).passed
    assert not _judge(check, FACTOR * 1e-6).passed
    bounded = TrajectoryCheck(kind="trajectory", expect="differ", min_difference=1e-3,
                              max_difference=1e-2)
    assert _judge(bounded, 1e-3).passed and _judge(bounded, 1e-2).passed
    assert not _judge(bounded, 1e-3 / FACTOR).passed
    assert not _judge(bounded, 1e-2 * FACTOR).passed
