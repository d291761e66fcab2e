"""`make frameworks-check` re-runs every port recipe on the real frameworks and compares it
with its record: what the comparison lets through and what it refuses."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from optbridge.native.compare import RERUN_ULPS_PER_STEP, ulp32
from optbridge.port.real import record_differences, weight_differences

RECORD = Path(__file__).parents[2] / "docs/port/records/pytorch__RMSprop-mindspore.json"
STEPS = 20


def _recorded() -> dict:
    return json.loads(RECORD.read_text(encoding="utf-8"))


def test_an_identical_rerun_matches() -> None:
    assert record_differences(_recorded(), _recorded(), STEPS) == []


def test_float_rounding_of_a_rerun_is_accepted() -> None:
    fresh = _recorded()
    fresh["target"]["weights"] = [w * (1 + 1e-7) for w in fresh["target"]["weights"]]
    assert record_differences(_recorded(), fresh, STEPS) == []


def test_a_tampered_weight_fails() -> None:
    fresh = copy.deepcopy(_recorded())
    fresh["target"]["weights"][1] += 1e-4
    problems = record_differences(_recorded(), fresh, STEPS)
    assert len(problems) == 1 and problems[0].startswith("target: weights[1] = ")


def test_a_changed_script_or_version_fails() -> None:
    fresh = copy.deepcopy(_recorded())
    fresh["source"]["sha256"] = "0" * 64
    fresh["target"]["version"] = "2.9.0"
    assert record_differences(_recorded(), fresh, STEPS) == [
        f"source: sha256 is {'0' * 64!r}, recorded {_recorded()['source']['sha256']!r}",
        "target: version is '2.9.0', recorded '2.10.0'",
    ]


def test_a_script_the_table_dropped_fails() -> None:
    fresh = _recorded()
    del fresh["alternative0"]
    assert record_differences(_recorded(), fresh, STEPS) == [
        "alternative0: recorded, but the table no longer has this script"
    ]


@pytest.mark.parametrize(("factor", "agrees"), [(0.5, True), (0.95, True), (2.0, False),
                                                (10.0, False)])
def test_the_rerun_tolerance_at_its_edge(factor: float, agrees: bool) -> None:
    """A weight off by ``factor`` times the allowed difference: inside passes, twice fails."""
    recorded = [0.804816484451294, -1.8009822368621826, 2.7997584342956543]
    fresh = list(recorded)
    fresh[2] += factor * RERUN_ULPS_PER_STEP * STEPS * ulp32(recorded[2])
    assert (weight_differences(recorded, fresh, STEPS) == []) is agrees
