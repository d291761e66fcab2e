"""Run every table's source script and its port on the real frameworks; record the gap.

    python -m optbridge.port.real [--only SLUG] [--output DIR] [--check]

Each side is the complete script the page shows (:func:`optbridge.port.page.scripts`), run by
the Python of that framework's virtual environment, the one ``make frameworks`` creates under
``build/frameworks/`` (PyTorch runs in this interpreter, torch_npu on the simulated NPU through
``python -m optbridge.run``). A record
per table (``docs/port/records/<framework>__<name>.json``) keeps the scripts' sha256, the
command, the versions, both outputs and the measured gap. OneFlow publishes only a placeholder
package, so its side is recorded as not run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from optbridge.mappings import MappingFile, load_all
from optbridge.native import isa
from optbridge.native.compare import RERUN_ULPS_PER_STEP, allowed
from optbridge.native.runtimes import RUNTIMES, Runtime

from .page import RECORDS_IN_SOURCE, record_path, script_hashes, scripts

#: The module whose ``__version__`` a record shows, for each script style run in an environment.
VERSION_MODULES = {"mindspore": "mindspore", "paddle": "paddle", "keras": "tensorflow",
                   "tf1": "tensorflow", "optax": "optax"}
NOT_RUNNABLE = {"oneflow": "oneflow on PyPI is a placeholder that raises on import"}
RECORDS = Path("docs") / RECORDS_IN_SOURCE


def _runtime(style: str) -> Runtime:
    return RUNTIMES["torch" if style == "pytorch" else style]


def _version(style: str) -> str:
    runtime = _runtime(style)
    module = VERSION_MODULES.get(style, "torch")
    done = subprocess.run([str(runtime.python), "-c", f"import {module}; print({module}.__version__)"],
                          check=False, capture_output=True, text=True, timeout=300,
                          env=runtime.environ())
    return done.stdout.strip().splitlines()[-1] if done.returncode == 0 else "unknown"


def _execute(style: str, text: str, limits: dict[str, str]) -> str:
    """Run one script under the instruction-set ``limits``; what it printed."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "script.py"
        path.write_text(text, encoding="utf-8")
        runtime = _runtime(style)
        if not runtime.python.exists():
            raise RuntimeError(f"{runtime.python} does not exist: run make frameworks first")
        done = subprocess.run(runtime.command(path), check=False, capture_output=True, text=True,
                              timeout=600, env=runtime.environ(limits))
    if done.returncode != 0:
        raise RuntimeError(f"{style} script failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def _weights(stdout: str) -> list[float]:
    """A script's final weights: the last line it prints."""
    return json.loads(stdout.strip().splitlines()[-1])


def run_side(style: str, text: str) -> dict[str, Any]:
    """Run one script limited to AVX2 (:data:`isa.RECORDING`), as its record states."""
    if style in NOT_RUNNABLE:
        return {"ran": False, "why": NOT_RUNNABLE[style]}
    runtime = _runtime(style)
    stdout = _execute(style, text, isa.RECORDING)
    return {
        "ran": True,
        "framework": runtime.display,
        "version": _version(style),
        "device": runtime.device,
        "simulated": runtime.simulated,
        "weights": _weights(stdout),
        "stdout": stdout,
    }


def record(item: MappingFile) -> dict[str, Any]:
    pair = scripts(item.mapping)
    hashes = script_hashes(item.mapping)
    named = [("source", pair.source), ("target", pair.target)]
    named += [(f"alternative{i}", s) for i, s in enumerate(pair.alternatives)]
    sides = {
        side: {"style": s.style, "sha256": hashes[side], **run_side(s.style, s.text)}
        for side, s in named
    }
    for name, side in sides.items():
        if name.startswith("alternative"):
            side["api"] = item.mapping.port.alternatives[int(name[11:])].api
            side["weights_gap"] = _gap(sides["source"], side)
    return {
        "slug": item.slug,
        "command": f"python -m optbridge.port.real --only {item.slug}",
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()} (CPU)",
        "isa": isa.label(isa.RECORDING),
        "weights_gap": _gap(sides["source"], sides["target"]),
        **sides,
    }


def _gap(source: dict[str, Any], target: dict[str, Any]) -> float | None:
    if not (source["ran"] and target["ran"]):
        return None
    return max(abs(a - b) for a, b in zip(source["weights"], target["weights"], strict=True))


def weight_differences(recorded: list[float], fresh: list[float], steps: int) -> list[str]:
    """Final weights of a re-run against the recorded ones, within
    :data:`~optbridge.native.compare.RERUN_ULPS_PER_STEP` float32 ulps per step (the scripts
    print every bit, so no printed digit is allowed for)."""
    if len(recorded) != len(fresh):
        return [f"{len(fresh)} weights, recorded {len(recorded)}"]
    problems = []
    for i, (a, b) in enumerate(zip(fresh, recorded, strict=True)):
        limit = allowed(b, a, steps, RERUN_ULPS_PER_STEP, 0.0)
        if not abs(a - b) <= limit:
            problems.append(f"weights[{i}] = {a!r}, recorded {b!r} (difference {a - b:.3g}, "
                            f"allowed {limit:.3g})")
    return problems


def record_differences(recorded: dict[str, Any], fresh: dict[str, Any], steps: int) -> list[str]:
    """How a fresh run differs from its record beyond float rounding; empty when it agrees."""
    problems = []
    for name, side in recorded.items():
        if not isinstance(side, dict):
            continue
        now = fresh.get(name)
        if now is None:
            problems.append(f"{name}: recorded, but the table no longer has this script")
            continue
        for key in ("sha256", "ran", "version"):
            if side.get(key) != now.get(key):
                problems.append(f"{name}: {key} is {now.get(key)!r}, recorded {side.get(key)!r}")
        if side.get("ran") and now.get("ran"):
            problems += [f"{name}: {p}" for p in
                         weight_differences(side["weights"], now["weights"], steps)]
    return problems


def rerun_differences(item: MappingFile, recorded: dict[str, Any]) -> list[str]:
    """Every script of the record run again under each variant of :data:`isa.CHECKED` (the
    first also checks versions and hashes), against the record."""
    pair = scripts(item.mapping)
    texts = {"source": pair.source, "target": pair.target,
             **{f"alternative{i}": s for i, s in enumerate(pair.alternatives)}}
    steps = item.mapping.port.steps
    problems = record_differences(recorded, record(item), steps)
    for variant, limits in list(isa.CHECKED.items())[1:]:
        for name, script in texts.items():
            side = recorded.get(name)
            if not (isinstance(side, dict) and side.get("ran")):
                continue
            fresh = _weights(_execute(script.style, script.text, limits))
            problems += [f"{variant}: {name}: {p}"
                         for p in weight_differences(side["weights"], fresh, steps)]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m optbridge.port.real", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", help="a table slug, e.g. pytorch/Rprop-paddle")
    parser.add_argument("--mappings", type=Path, default=Path("docs/mappings"))
    parser.add_argument("--output", type=Path, default=RECORDS)
    parser.add_argument("--check", action="store_true",
                        help="re-run under each instruction-set variant and compare with the "
                             "records (float rounding only); write nothing")
    args = parser.parse_args(argv)
    items = [i for i in load_all(args.mappings) if not args.only or i.slug in args.only]
    failed = 0
    for item in items:
        if item.mapping.port is None:
            continue
        path = record_path(item.slug, args.output)
        if args.check and not path.exists():
            print(f"{item.slug}: no record at {path}: run make frameworks", file=sys.stderr)
            failed += 1
            continue
        try:
            if args.check:
                problems = rerun_differences(item, json.loads(path.read_text(encoding="utf-8")))
            else:
                data = record(item)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            print(f"{item.slug}: FAILED: {exc}", file=sys.stderr)
            failed += 1
            continue
        if args.check:
            for problem in problems:
                print(f"{item.slug}: {problem}", file=sys.stderr)
            failed += bool(problems)
            print(f"{item.slug}: {'differs from' if problems else 'matches'} {path}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{item.slug}: weights differ by {data['weights_gap']} -> {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
