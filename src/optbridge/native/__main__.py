"""``make frameworks``: run every native snippet on its real framework and record the run.

    python -m optbridge.native [--check] [--python python3] [room ...]

Without ``--check`` each run is written to the snippet's record (committed). With ``--check``
nothing is written: every snippet is re-run and compared with its record; a changed snippet, a
failed install, a failed run or a number that differs beyond float rounding fails.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .apis import api_uses
from .compare import trajectory_differences
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


def _run(command: list[str], runtime: Runtime, where: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S,
                              env=runtime.environ(), check=False)
    except subprocess.TimeoutExpired:
        raise SnippetError(f"{where}: did not finish within {TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise SnippetError(f"{where}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return done.stdout


def run_snippet(snippet: Snippet, runtime: Runtime) -> dict[str, Any]:
    """Run one snippet and probe its environment; the record it would write."""
    output = _run(runtime.command(snippet.path), runtime, snippet.relative)
    trajectory = parse_output(output, snippet.relative)
    names = sorted(api_uses(snippet.path))
    probe = json.loads(_run([*runtime.command(PROBE), *runtime.distributions, "--", *names],
                            runtime, f"{snippet.relative} (probe)").strip().splitlines()[-1])
    return {
        "snippet": snippet.relative,
        "sha256": snippet.sha256(),
        "framework": runtime.display,
        "framework_version": probe["packages"][runtime.distributions[0]],
        "packages": probe["packages"],
        "python": probe["python"],
        "platform": probe["platform"],
        "device": runtime.device,
        "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
        "command": " ".join(["python", *runtime.launcher, snippet.path.name]),
        "output": output,
        "trajectory": trajectory,
        "apis": probe["apis"],
    }


def check_snippet(snippet: Snippet, runtime: Runtime) -> list[str]:
    """Problems of a re-run against the record (empty: it matches)."""
    record = load_record(snippet.record_path)
    if record["sha256"] != snippet.sha256():
        return [changed_message(snippet, record)]
    fresh = run_snippet(snippet, runtime)
    problems = trajectory_differences(record["trajectory"], fresh["trajectory"], rerun=True)
    for field in ("framework_version", "python"):
        if record[field] != fresh[field]:
            problems.append(f"{field} {fresh[field]} (recorded: {record[field]})")
    return [f"{snippet.relative}: {p}" for p in problems]


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
            try:
                if args.check:
                    problems = check_snippet(snippet, runtime)
                else:
                    write_record(snippet.record_path, run_snippet(snippet, runtime))
                    problems = []
            except SnippetError as exc:
                problems = [str(exc)]
            failures += problems
            verdict = "FAILED" if problems else ("matches its record" if args.check else
                                                 f"recorded in {snippet.record_path.name}")
            print(f"{snippet.relative}: {verdict} ({time.monotonic() - started:.1f} s)",
                  flush=True)
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
