"""Run a declared check through both counterparts and judge it."""

from __future__ import annotations

import inspect
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from optbridge.frameworks import MAPPING_CASES_SUFFIX, mapping_cases_file
from optbridge.mappings.schema import Mapping, RecordedCheck, TrajectoryCheck, ValidationCheck

from .drivers import Driver, driver_for
from .problems import PROBLEMS
from .resolve import resolve_counterpart

#: Stand-in for a required learning rate when a validation check does not give one.
REQUIRED_LR = 0.01
#: The problem a validation check constructs its optimizers for and takes one step on.
VALIDATION_PROBLEM = "named_params"
#: Group keys that name parameters rather than options.
GROUP_PARAM_KEYS = ("params", "order_params")


@dataclass(frozen=True)
class Verdict:
    passed: bool
    detail: str
    measured: float | None = None


def _kwargs(values: dict[str, Any]) -> dict[str, Any]:
    # TOML has no tuples; every framework here takes pairs such as etas as tuples.
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


def _grouped(factory: Callable[..., Any], names: list[str],
             groups: list[dict[str, Any]]) -> Callable[..., Any]:
    """``factory`` building its optimizer from parameter groups instead of the driver's plain
    parameter list (first argument, or Paddle's ``parameters=``); a group names the problem's
    parameters in ``params`` (MindSpore also in ``order_params``), and takes all without it."""

    def build(plain: Any) -> list[dict[str, Any]]:
        by_name = dict(zip(names, list(plain), strict=True))
        out = []
        for group in groups:
            built = _kwargs({k: v for k, v in group.items() if k not in GROUP_PARAM_KEYS})
            for key in GROUP_PARAM_KEYS:
                if key in group or (key == "params" and "order_params" not in group):
                    built[key] = [by_name[n] for n in group.get(key, names)]
            out.append(built)
        return out

    def make(*args: Any, **kwargs: Any) -> Any:
        if "parameters" in kwargs:
            return factory(*args, **{**kwargs, "parameters": build(kwargs["parameters"])})
        if not args:
            raise TypeError("this framework takes no parameters, so no parameter groups")
        return factory(build(args[0]), *args[1:], **kwargs)

    return make


def _factory(mapping: Mapping, side: str, groups: list[dict[str, Any]], problem: str) -> Any:
    factory = resolve_counterpart(getattr(mapping, side).counterpart)
    if not groups:
        return factory
    unknown = {n for g in groups for key in GROUP_PARAM_KEYS for n in g.get(key, [])
               } - set(PROBLEMS[problem].start)
    if unknown:
        raise ValueError(f"groups name parameters the problem {problem!r} does not have: "
                         f"{sorted(unknown)}")
    return _grouped(factory, list(PROBLEMS[problem].start), groups)


def _driver(mapping: Mapping, side: str, kwargs: dict[str, Any], problem: str,
            lr_gamma: float = 1.0, steps: int = 1,
            groups: list[dict[str, Any]] | None = None) -> Driver:
    factory = _factory(mapping, side, groups or [], problem)
    driver = driver_for(getattr(mapping, side).counterpart)
    return driver(factory, PROBLEMS[problem].initial(), _kwargs(kwargs), lr_gamma, steps)


def run_trajectory(mapping: Mapping, check: TrajectoryCheck) -> Verdict:
    problem = PROBLEMS[check.problem]
    sides = {
        side: _driver(mapping, side, getattr(check, side), check.problem, check.lr_gamma,
                      check.steps, getattr(check, f"{side}_groups"))
        for side in ("source", "target")
    }
    for name, value in check.target_state.items():
        sides["target"].seed_state(name, value)
    for t in range(check.steps):
        for driver in sides.values():
            driver.step(problem.gradient(driver.values(), t))
    source, target = sides["source"].values(), sides["target"].values()
    diff = max(float((source[n] - target[n]).abs().max()) for n in source)
    return _judge(check, diff)


def _judge(check: TrajectoryCheck | RecordedCheck, diff: float) -> Verdict:
    if check.expect == "agree":
        ok = diff <= check.tolerance
        return Verdict(ok, f"max |Δ| = {diff:.3g} after {check.steps} steps "
                           f"(must be ≤ {check.tolerance:g})", diff)
    low, high = check.min_difference, check.max_difference
    ok = diff >= low and (high is None or diff <= high)
    bounds = f"≥ {low:g}" + (f" and ≤ {high:g}" if high is not None else "")
    return Verdict(ok, f"max |Δ| = {diff:.3g} after {check.steps} steps (must be {bounds})", diff)


def recorded_case(api: str, case: str) -> dict[str, Any]:
    """The case ``case`` of the run of ``api`` recorded in a framework's room."""
    path = mapping_cases_file(api)
    if path is None:
        raise LookupError(f"no recorded run of {api} ({api}{MAPPING_CASES_SUFFIX} in "
                          "optbridge/frameworks/*/data)")
    cases = json.loads(path.read_text(encoding="utf-8"))["cases"]
    if case not in cases:
        raise LookupError(f"{path.name} has no case {case!r} (it has {sorted(cases)})")
    return cases[case]


def run_recorded(mapping: Mapping, check: RecordedCheck) -> Verdict:
    case = recorded_case(check.recorded, check.case)
    described = {"problem": check.problem, "steps": check.steps, "kwargs": check.recorded_kwargs,
                 "groups": check.recorded_groups}
    differing = [k for k, v in described.items() if case[k] != v]
    if differing:
        return Verdict(False, "the table describes another run than the recorded case "
                              f"{check.case!r}: " + ", ".join(
                                  f"{k} {described[k]!r} vs recorded {case[k]!r}"
                                  for k in differing))
    driver = _driver(mapping, check.runs, check.kwargs, check.problem, 1.0, check.steps,
                     check.groups)
    for name, value in check.state.items():
        driver.seed_state(name, value)
    problem = PROBLEMS[check.problem]
    for t in range(check.steps):
        driver.step(problem.gradient(driver.values(), t))
    ours = driver.values()
    diff = max(float((ours[n] - torch.tensor(v).reshape(ours[n].shape)).abs().max())
               for n, v in case["final"].items())
    verdict = _judge(check, diff)
    return Verdict(verdict.passed, f"{verdict.detail}, against {check.recorded} "
                                   f"(recorded, case {check.case})", diff)


def _raised(mapping: Mapping, side: str, kwargs: dict[str, Any],
            groups: list[dict[str, Any]]) -> BaseException | None:
    api = getattr(mapping, side)
    kwargs = dict(kwargs)
    signature = inspect.signature(resolve_counterpart(api.counterpart)).parameters
    for key in ("learning_rate", "lr"):
        if key in signature and signature[key].default is inspect.Parameter.empty:
            kwargs.setdefault(key, REQUIRED_LR)
    factory = _factory(mapping, side, groups, VALIDATION_PROBLEM)
    try:
        driver = driver_for(api.counterpart)(
            factory, PROBLEMS[VALIDATION_PROBLEM].initial(), _kwargs(kwargs), 1.0, 1
        )
        driver.step(PROBLEMS[VALIDATION_PROBLEM].gradient(driver.values(), 0))
    except Exception as exc:  # noqa: BLE001 - the exception is what is being checked
        return exc
    return None


def _matches(expected: str, raised: BaseException | None) -> bool:
    if expected == "none":
        return raised is None
    return raised is not None and expected in {c.__name__ for c in type(raised).__mro__}


def _describe(raised: BaseException | None) -> str:
    return "accepts" if raised is None else f"raises {type(raised).__name__}: {raised}"


def run_validation(mapping: Mapping, check: ValidationCheck) -> Verdict:
    with torch.no_grad():
        source = _raised(mapping, "source", check.source, check.source_groups)
        target = _raised(mapping, "target", check.target, check.target_groups)
    ok = _matches(check.source_raises, source) and _matches(check.target_raises, target)
    detail = (f"source {_describe(source)} (expected {check.source_raises}); "
              f"target {_describe(target)} (expected {check.target_raises})")
    return Verdict(ok, detail)


def run_check(mapping: Mapping, check: TrajectoryCheck | ValidationCheck | RecordedCheck
              ) -> Verdict:
    with warnings.catch_warnings(record=True) as caught:
        # A counterpart's warning (Keras's ignored decay=) is evidence: it goes in the detail.
        warnings.simplefilter("always")
        try:
            if isinstance(check, TrajectoryCheck):
                verdict = run_trajectory(mapping, check)
            elif isinstance(check, RecordedCheck):
                verdict = run_recorded(mapping, check)
            else:
                verdict = run_validation(mapping, check)
        except Exception as exc:  # noqa: BLE001 - a broken check is a failed claim, with its reason
            return Verdict(False, f"could not run: {type(exc).__name__}: {exc}")
    said = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    if not said:
        return verdict
    return Verdict(verdict.passed, f"{verdict.detail}; warned {'; '.join(said)}", verdict.measured)
