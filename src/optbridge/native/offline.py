"""Checks of the snippets against their committed records, without any framework installed
(``make test`` runs them through ``tests/native``). Each returns readable problem lines."""

from __future__ import annotations

import importlib
import re
from typing import Any

from .apis import api_uses
from .compare import SIMULATION_ULPS_PER_STEP, trajectory_differences
from .simulation import links, simulate
from .snippets import Snippet, SnippetError, load_record

#: Framework namespaces whose optimizers ``optbridge.compat`` simulates.
COMPAT_NAMESPACES = {
    "optax.": "optbridge.compat.optax",
    "mindspore.nn.": "optbridge.compat.mindspore",
    "keras.optimizers.": "optbridge.compat.keras",
    "tf.keras.optimizers.": "optbridge.compat.keras",
    "tf.compat.v1.train.": "optbridge.compat.tf1",
    "tensorflow.compat.v1.train.": "optbridge.compat.tf1",
    "paddle.optimizer.": "optbridge.compat.paddle",
    "oneflow.optim.": "optbridge.compat.oneflow",
    "torch_npu.optim.": "optbridge.compat.torch_npu",
}
#: An API written in a mapping note, e.g. `optax.add_decayed_weights(wd, mask=...)`.
NOTE_API = re.compile(r"`((?:tf\.|tensorflow\.)?[a-z_]+(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*(?:\(|`)")


def changed_message(snippet: Snippet, record: dict[str, Any]) -> str:
    return (f"{snippet.relative}: changed since it last ran on {record['framework']} "
            f"{record['framework_version']}: run make frameworks")


def record_of(snippet: Snippet) -> dict[str, Any]:
    """The snippet's record; :class:`SnippetError` when it is missing or malformed."""
    if not snippet.record_path.is_file():
        raise SnippetError(f"{snippet.relative}: no record {snippet.record_path}: run make "
                           "frameworks")
    return load_record(snippet.record_path)


def staleness(snippet: Snippet, record: dict[str, Any]) -> list[str]:
    problems = []
    if record["sha256"] != snippet.sha256():
        problems.append(changed_message(snippet, record))
    expected = f"examples/native/{snippet.slug}/{snippet.path.name}"
    if record["snippet"] != expected:
        problems.append(f"{snippet.record_path}: records {record['snippet']}, not {expected}")
    return problems


def simulation_differences(snippet: Snippet, record: dict[str, Any]) -> list[str]:
    """Our simulation against every recorded run, within :data:`SIMULATION_ULPS_PER_STEP`."""
    simulated = simulate(snippet)
    problems = trajectory_differences(record["trajectory"], [simulated] * len(record["trajectory"]),
                                      rerun=False)
    return [f"{snippet.relative}: simulation differs from the real run beyond float32 rounding "
            f"({SIMULATION_ULPS_PER_STEP:g} ulps per step and the printed digit): {p}"
            for p in problems]


def signature_problems(snippet: Snippet, record: dict[str, Any]) -> list[str]:
    """Every API name the snippet uses exists in the real framework, with every keyword."""
    problems = []
    for name, use in sorted(api_uses(snippet.path).items()):
        real = record["apis"].get(name)
        where = f"{snippet.relative}: {name}"
        if not isinstance(real, dict):
            problems.append(f"{where}: not in the recorded signatures: run make frameworks")
        elif not real.get("exists"):
            problems.append(f"{where}: does not exist in {record['framework']} "
                            f"{record['framework_version']} ({real.get('error')})")
        elif use.keywords:
            parameters = real.get("parameters")
            if parameters is None:
                problems.append(f"{where}: called with keywords, but it has no signature")
            elif parameters or not real.get("var_keyword"):
                # Strict even with **kwargs next to named parameters (Keras optimizers pass
                # them to a base class that rejects unknown ones); a bare (*args, **kwargs)
                # says nothing, and a wrapper hiding one is looked through by the probe.
                for keyword in sorted(use.keywords - set(parameters)):
                    problems.append(f"{where}: no parameter {keyword!r} in {record['framework']} "
                                    f"{record['framework_version']}")
    return problems


def configuration_problems(snippet: Snippet) -> list[str]:
    """The simulation runs what the snippet runs: each simulated API is called in the snippet,
    every call with exactly the simulated keyword values."""
    problems = []
    uses = api_uses(snippet.path)
    for link in links(snippet):
        use = uses.get(link["api"])
        if use is None:
            problems.append(f"{snippet.relative}: simulated {link['api']} is not called")
            continue
        for call in use.calls:
            written = {k: tuple(v) if isinstance(v, list) else v for k, v in call.items()}
            if written != link["kwargs"]:
                problems.append(f"{snippet.relative}: {link['api']} called with {written}, "
                                f"simulated with {link['kwargs']}")
    return problems


def compat_name(api: str) -> str | None:
    """``optax.add_decayed_weights`` -> ``optbridge.compat.optax:add_decayed_weights``."""
    for prefix, module in COMPAT_NAMESPACES.items():
        if api.startswith(prefix):
            return f"{module}:{api.removeprefix(prefix)}"
    return None


def missing_in_simulation(apis: list[str]) -> list[str]:
    """The APIs (of the simulated namespaces) that ``optbridge.compat`` lacks."""
    missing = []
    for api in apis:
        spec = compat_name(api)
        if spec is None:
            continue
        module, _, attribute = spec.partition(":")
        obj: Any = importlib.import_module(module)
        for part in attribute.split("."):
            obj = getattr(obj, part, None)
        if obj is None:
            missing.append(f"{api}: no {spec} in the simulation")
    return missing


def note_apis(text: str) -> list[str]:
    """The framework APIs a mapping note tells the reader to use (written in backticks)."""
    return [m.group(1) for m in NOTE_API.finditer(text)]
