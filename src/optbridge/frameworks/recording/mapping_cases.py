"""Mapping-check cases recorded from a real framework, for facts its facade does not model.

A mapping table's ``recorded`` check compares one side's counterpart, run here on torch, with a
run of the real package recorded by a room's ``mapping_cases`` module. The problems are numpy
copies of :mod:`optbridge.mappings.checks.problems` (which needs torch, absent from the
frameworks' environments); ``tests/mappings`` keeps the two in step.

Run from the repository root in the environment ``make frameworks`` creates, e.g.:
``PYTHONPATH=src build/frameworks/paddle/bin/python -m optbridge.frameworks.paddle.mapping_cases``.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Gradient = Callable[[dict[str, np.ndarray], int], dict[str, np.ndarray]]
#: The repository root: the recorded command names an interpreter below it relative to it.
ROOT = Path(__file__).resolve().parents[4]
NAMED = {"dense.weight": [1.0, -2.0, 3.0], "bn.gamma": [0.5, -1.5]}


def _quadratic(params: dict[str, np.ndarray], step: int) -> dict[str, np.ndarray]:
    return {n: np.float32(2) * w for n, w in params.items()}


def _small_gradient(params: dict[str, np.ndarray], step: int) -> dict[str, np.ndarray]:
    return {n: np.float32(1e-4) * w for n, w in params.items()}


def _sign_flip(params: dict[str, np.ndarray], step: int) -> dict[str, np.ndarray]:
    pattern = np.array([(-1.0) ** step, (-1.0) ** (step // 2), 0.0 if step % 3 == 2 else 1.0],
                       np.float32) * np.array([1.0, 2.0, 3.0], np.float32)
    return {n: pattern[: w.size].copy() for n, w in params.items()}


PROBLEMS: dict[str, tuple[dict[str, list[float]], Gradient]] = {
    "quadratic": ({"w": [1.0, -2.0, 3.0]}, _quadratic),
    "sign_flip": ({"w": [1.0, -2.0, 3.0]}, _sign_flip),
    "small_gradient": ({"w": [1.0, -2.0, 3.0]}, _small_gradient),
    "named_params": (NAMED, _quadratic),
    "named_sign_flip": (NAMED, _sign_flip),
}


def case(problem: str, steps: int, kwargs: dict[str, Any],
         groups: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"problem": problem, "steps": steps, "kwargs": kwargs, "groups": groups or []}


def record(api: str, version: str, module: str, cases: dict[str, dict[str, Any]],
           run: Callable[[dict[str, Any], dict[str, np.ndarray], Gradient], dict[str, np.ndarray]],
           out_dir: Path) -> Path:
    """Run every case with ``run(case, start, gradient) -> final params`` and write
    ``<out_dir>/<api>.mapping-cases.json``."""
    for c in cases.values():
        start, gradient = PROBLEMS[c["problem"]]
        final = run(c, {n: np.asarray(v, np.float32) for n, v in start.items()}, gradient)
        c["final"] = {n: [float(x) for x in np.asarray(v).ravel()] for n, v in final.items()}
    document = {
        "api": api,
        "framework_version": version,
        "python_version": platform.python_version(),
        "command": f"PYTHONPATH=src {_interpreter()} -m {module}",
        "cases": cases,
    }
    path = out_dir / f"{api}.mapping-cases.json"
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return path


def _interpreter() -> Path:
    """This Python, relative to the repository root when below it (``build/frameworks/...``),
    so that the recorded command runs on any checkout."""
    python = Path(sys.executable)
    return python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
