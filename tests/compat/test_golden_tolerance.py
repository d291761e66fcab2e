"""The goldens' tolerance at its edge: a trajectory off by half of what is allowed agrees, one
off by twice (or ten times) fails, relative for large values and absolute near zero."""

from __future__ import annotations

import pytest
import torch
from compat_goldens import ATOL, RTOL, assert_trajectory

GOLDEN = {"trajectory": [{"w": [0.9, -1.8, 2.7, 0.0]}, {"w": [0.8, -1.6, 2.4, 1e-9]}]}


def _moved(factor: float, index: int) -> list[dict[str, torch.Tensor]]:
    moved = []
    for step in GOLDEN["trajectory"]:
        values = torch.tensor(step["w"], dtype=torch.float64)
        values[index] += factor * (ATOL + RTOL * abs(values[index].item()))
        moved.append({"w": values.to(torch.float32)})
    return moved


@pytest.mark.parametrize("index", [2, 3], ids=["relative", "absolute"])
@pytest.mark.parametrize(("factor", "agrees"), [(0.5, True), (2.0, False), (10.0, False)])
def test_golden_tolerance_at_its_edge(index: int, factor: float, agrees: bool) -> None:
    if agrees:
        assert_trajectory(_moved(factor, index), GOLDEN, "edge")
    else:
        with pytest.raises(AssertionError, match="edge: step 1"):
            assert_trajectory(_moved(factor, index), GOLDEN, "edge")
