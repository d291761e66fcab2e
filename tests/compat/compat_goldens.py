"""Reading the committed golden files (``optbridge/frameworks/<name>/data/*.json``) and comparing against them.

No real framework is needed: everything comes from the JSON the recorder wrote.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
import torch

from optbridge.frameworks import recorded_file
from optbridge.frameworks.recording.common import decode

# Tolerance: the facades run torch's float32 ops, the frameworks their own kernels (rsqrt vs
# 1/sqrt, fused multiply-adds, different association). Each op may round differently by
# 1 ulp and the differences compound over the recorded steps, so we allow 16 float32 ulps
# relative (16 * 2**-23 ~ 1.9e-6) plus an absolute 1e-6 for values that pass near zero.
# A wrong formula (eps placement at eps=0.1, accumulator from 0 vs 1, lr inside vs outside
# the momentum buffer, a stale update) is off by 1e-3 or more, far outside this.
# Measured over every golden case on an AVX-512 Xeon, with torch's kernels at their default
# and limited to AVX2 (ATEN_CPU_CAPABILITY=avx2): the largest difference used 0.28 of this
# tolerance (paddle.RMSProp, lr_schedule_momentum, step 5); tests/compat/test_golden_tolerance.py
# shows that a difference of twice the tolerance fails.
RTOL = 16 * 2.0**-23
ATOL = 1e-6


@cache
def load(api: str) -> dict:
    """The golden document of ``api`` (e.g. ``"mindspore.nn.RMSProp"``)."""
    path = recorded_file(api)
    assert path is not None, f"no recorded data for {api} in optbridge/frameworks/*/data/"
    return json.loads(path.read_text(encoding="utf-8"))


def cases(api: str, *, runnable: bool = True) -> list:
    """``pytest.param(name, case)`` for every case of ``api`` (with a trajectory if runnable)."""
    doc = load(api)
    return [pytest.param(name, c, id=name) for name, c in doc["cases"].items()
            if not runnable or c.get("trajectory") is not None]


def initial_params(case: dict) -> dict[str, torch.Tensor]:
    return {n: torch.tensor(v, dtype=torch.float32) for n, v in case["params"].items()}


def gradient(case: dict, step: int, name: str, value: torch.Tensor) -> torch.Tensor:
    """The case's gradient for ``name`` at ``step`` (0-based), in float32 like the recorder."""
    spec = case["grad"]
    if spec["kind"] == "quadratic":
        c = torch.tensor(spec["c"][name], dtype=torch.float32)
        return torch.tensor(2.0, dtype=torch.float32) * c * value
    return torch.tensor(spec["per_step"][step][name], dtype=torch.float32)


def assert_trajectory(actual: list[dict[str, torch.Tensor]], case: dict, label: str) -> None:
    """Every step's params against the golden ones, within RTOL/ATOL (see above)."""
    expected = case["trajectory"]
    assert len(actual) == len(expected), f"{label}: {len(actual)} steps, golden {len(expected)}"
    for step, (got, want) in enumerate(zip(actual, expected)):
        for name, value in want.items():
            torch.testing.assert_close(
                got[name].detach().cpu(), torch.tensor(value, dtype=torch.float32),
                rtol=RTOL, atol=ATOL,
                msg=lambda m, s=step, n=name: f"{label}: step {s + 1}, param {n!r}: {m}")


def signature_rows(func: Callable) -> list[dict]:
    """The facade's signature in the golden file's format."""
    rows = []
    for p in inspect.signature(func).parameters.values():
        if p.name == "self":
            continue
        default = "<required>" if p.default is inspect.Parameter.empty else p.default
        rows.append({"name": p.name, "kind": p.kind.name, "default": default})
    return rows


def probe_params(api: str) -> list:
    return [pytest.param(p, id=p["label"]) for p in load(api)["probes"]]


def assert_probe(make: Callable[..., Any], probe: dict) -> None:
    """``make(**kwargs)`` raises the exception type the real API raised (or nothing)."""
    kwargs = decode(probe["kwargs"])
    if probe["exception"] is None:
        make(**kwargs)
        return
    with pytest.raises(Exception) as info:
        make(**kwargs)
    assert type(info.value).__name__ == probe["exception"], (
        f"{probe['label']}: raised {type(info.value).__name__}: {info.value}; "
        f"the real API raises {probe['exception']}: {probe['message']}")
