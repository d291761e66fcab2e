"""``make frameworks``: run every native snippet on its real framework and record the run.

    python -m optbridge.native [--check] [--python python3] [room ...]

Without ``--check`` each run is written to the snippet's record (committed), run with every math
library limited to AVX2 (:mod:`optbridge.native.isa`). With ``--check`` nothing is written: every
snippet is re-run under each instruction-set variant of :data:`optbridge.native.isa.CHECKED` and
compared with its record; a changed snippet, a failed install, a failed run or a number that
differs beyond :mod:`optbridge.native.compare`'s tolerance fails.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import isa
from .apis import api_uses
from .compare import RERUN_ULPS_PER_STEP, measured_ulps_per_step, trajectory_differences
from .offline import changed_message
from .runtimes import (
    RUNTIMES,
    InstallError,
    Runtime,
    ensure_environment,
    shared_environment_problems,
)
from .snippets import (
    Snippet,
    SnippetError,
    discover,
    load_record,
    parse_output,
    write_record,
)

PROBE = Path(__file__).with_name("probe.py")
TIMEOUT_S = 600


def _run(command: list[str], runtime: Runtime, where: str,
         limits: Mapping[str, str] | None = None) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                              env=runtime.environ(limits), check=False)
    except subprocess.TimeoutExpired:
        raise SnippetError(f"{where}: did not finish within {TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise SnippetError(f"{where}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return done.stdout


def run_trajectory(snippet: Snippet, runtime: Runtime,
                   limits: Mapping[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """Run one snippet under the instruction-set ``limits``: its output and trajectory."""
    output = _run(runtime.command(snippet.path), runtime, snippet.relative, limits)
    return output, parse_output(output, snippet.relative)


def probe(snippet: Snippet, runtime: Runtime) -> dict[str, Any]:
    """Versions, platform and the real signatures of the APIs the snippet names."""
    names = sorted(api_uses(snippet.path))
    return json.loads(_run([*runtime.command(PROBE), *runtime.distributions, "--", *names],
                           runtime, f"{snippet.relative} (probe)").strip().splitlines()[-1])


def run_snippet(snippet: Snippet, runtime: Runtime) -> dict[str, Any]:
    """Run one snippet limited to AVX2 (:data:`isa.RECORDING`) and probe its environment; the
    record it would write."""
    output, trajectory = run_trajectory(snippet, runtime, isa.RECORDING)
    found = probe(snippet, runtime)
    return {
        "snippet": snippet.relative,
        "sha256": snippet.sha256(),
        "framework": runtime.display,
        "framework_version": found["packages"][runtime.distributions[0]],
        "packages": found["packages"],
        "python": found["python"],
        "platform": found["platform"],
        "device": runtime.device,
        "simulated": runtime.simulated,
        "isa": isa.label(runtime.environ(isa.RECORDING)),
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "command": " ".join(["python", *runtime.launcher, snippet.path.name]),
        "output": output,
        "trajectory": trajectory,
        "apis": found["apis"],
    }


def rerun_against_record(snippet: Snippet, runtime: Runtime,
                         variants: Mapping[str, Mapping[str, str]] = isa.CHECKED
                         ) -> tuple[list[str], float]:
    """Re-runs, one under each instruction-set variant, against the record: the problems (empty:
    every one matches) and the largest difference measured, in float32 ulps per step beyond
    the printed digits (what :data:`RERUN_ULPS_PER_STEP` bounds)."""
    record = load_record(snippet.record_path)
    if record["sha256"] != snippet.sha256():
        return [changed_message(snippet, record)], math.nan
    problems, worst = [], 0.0
    for name, limits in variants.items():
        _, trajectory = run_trajectory(snippet, runtime, limits)
        where = f"{name} ({isa.label(runtime.environ(limits))})"
        differences = trajectory_differences(record["trajectory"], trajectory, rerun=True)
        problems += [f"{where}: {p}" for p in differences]
        if not differences:
            worst = max([worst] + [measured_ulps_per_step(want, got) for want, got
                                   in zip(record["trajectory"], trajectory, strict=True)])
    found = probe(snippet, runtime)
    fresh = {"framework_version": found["packages"][runtime.distributions[0]],
             "python": found["python"]}
    for field, value in fresh.items():
        if record[field] != value:
            problems.append(f"{field} {value} (recorded: {record[field]})")
    return [f"{snippet.relative}: {p}" for p in problems], worst


def check_snippet(snippet: Snippet, runtime: Runtime,
                  variants: Mapping[str, Mapping[str, str]] = isa.CHECKED) -> list[str]:
    """Problems of the re-runs against the record (empty: every one matches)."""
    return rerun_against_record(snippet, runtime, variants)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m optbridge.native",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("rooms", nargs="*", help=f"only these (of {', '.join(RUNTIMES)})")
    parser.add_argument("--check", action="store_true", help="compare with the records only")
    parser.add_argument("--python", default="python3", help="interpreter that creates the envs")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.rooms) - set(RUNTIMES))
    if unknown:
        parser.error(f"unknown room(s) {unknown}; choose from {sorted(RUNTIMES)}")
    try:
        snippets = [s for s in discover() if s.executed]
    except SnippetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    setup_problems = shared_environment_problems()
    unknown_rooms = sorted({s.room for s in snippets} - set(RUNTIMES))
    if unknown_rooms:
        setup_problems.append(f"no runtime for room(s) {unknown_rooms}: add them to "
                              "optbridge.native.runtimes.RUNTIMES")
    for problem in setup_problems:
        print(f"error: {problem}", file=sys.stderr)
    if setup_problems:
        return 2
    chosen = args.rooms or sorted({s.room for s in snippets})
    failures: list[str] = []
    for room in chosen:
        runtime = RUNTIMES[room]
        try:
            ensure_environment(runtime, args.python)
        except InstallError as exc:
            failures.append(str(exc))
            continue
        for snippet in (s for s in snippets if s.room == room):
            started = time.monotonic()
            worst = math.nan
            try:
                if args.check:
                    problems, worst = rerun_against_record(snippet, runtime)
                else:
                    write_record(snippet.record_path, run_snippet(snippet, runtime))
                    problems = []
            except SnippetError as exc:
                problems = [str(exc)]
            failures += problems
            verdict = "FAILED" if problems else (
                f"matches its record under {len(isa.CHECKED)} instruction sets (at most "
                f"{worst:.2f} of {RERUN_ULPS_PER_STEP:g} ulps per step)" if args.check
                else f"recorded in {snippet.record_path.name}")
            print(f"{snippet.relative}: {verdict} ({time.monotonic() - started:.1f} s)",
                  flush=True)
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
