"""Run every table's source script and its port on the real frameworks; record the gap.

    python -m optbridge.port.real [--envs DIR] [--only SLUG] [--output DIR]

Each side is the complete script the page shows (:func:`optbridge.port.page.scripts`), run by
the Python of that framework's virtual environment (``DIR/<env>/bin/python``; PyTorch runs in
this interpreter, torch_npu on the simulated NPU through ``python -m optbridge.run``). A record
per table (``docs/port/records/<framework>__<name>.json``) keeps the scripts' sha256, the
command, the versions, both outputs and the measured gap. OneFlow publishes only a placeholder
package, so its side is recorded as not run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from optbridge.mappings import MappingFile, load_all

from .page import RECORDS_IN_SOURCE, record_path, script_hashes, scripts

#: Virtual environment (under ``--envs``) and version query of each script style.
ENVIRONMENTS = {
    "mindspore": ("mindspore", "mindspore"),
    "paddle": ("paddle", "paddle"),
    "keras": ("tensorflow", "tensorflow"),
    "tf1": ("tensorflow", "tensorflow"),
    "optax": ("jax", "optax"),
}
NOT_RUNNABLE = {"oneflow": "oneflow on PyPI is a placeholder that raises on import"}
RECORDS = Path("docs") / RECORDS_IN_SOURCE


def _command(style: str, envs: Path, path: Path) -> list[str]:
    if style in ENVIRONMENTS:
        return [str(envs / ENVIRONMENTS[style][0] / "bin" / "python"), str(path)]
    if style == "torch_npu":
        return [sys.executable, "-m", "optbridge.run", str(path)]
    return [sys.executable, str(path)]


def _version(style: str, envs: Path) -> str:
    if style in ENVIRONMENTS:
        env, module = ENVIRONMENTS[style]
        python = envs / env / "bin" / "python"
        query = f"import {module}; print({module}.__version__)"
    else:
        python, query = Path(sys.executable), "import torch; print(torch.__version__)"
    done = subprocess.run([str(python), "-c", query], check=False, capture_output=True, text=True, timeout=300)
    return done.stdout.strip().splitlines()[-1] if done.returncode == 0 else "unknown"


def run_side(style: str, text: str, envs: Path) -> dict[str, Any]:
    """Run one script; its final weights are the last line it prints."""
    if style in NOT_RUNNABLE:
        return {"ran": False, "why": NOT_RUNNABLE[style]}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "script.py"
        path.write_text(text, encoding="utf-8")
        command = _command(style, envs, path)
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600,
                              env={**os.environ, "GLOG_v": "3", "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode != 0:
        raise RuntimeError(f"{style} script failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return {
        "ran": True,
        "version": _version(style, envs),
        "weights": json.loads(done.stdout.strip().splitlines()[-1]),
        "stdout": done.stdout,
    }


def record(item: MappingFile, envs: Path) -> dict[str, Any]:
    pair = scripts(item.mapping)
    hashes = script_hashes(item.mapping)
    named = [("source", pair.source), ("target", pair.target)]
    named += [(f"alternative{i}", s) for i, s in enumerate(pair.alternatives)]
    sides = {
        side: {"style": s.style, "sha256": hashes[side], **run_side(s.style, s.text, envs)}
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
        "weights_gap": _gap(sides["source"], sides["target"]),
        **sides,
    }


def _gap(source: dict[str, Any], target: dict[str, Any]) -> float | None:
    if not (source["ran"] and target["ran"]):
        return None
    return max(abs(a - b) for a, b in zip(source["weights"], target["weights"], strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m optbridge.port.real", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", type=Path,
                        default=Path(os.environ.get("OPTBRIDGE_FRAMEWORK_ENVS", "/work/envs")),
                        help="folder of one virtual environment per framework "
                             "(default: $OPTBRIDGE_FRAMEWORK_ENVS or /work/envs)")
    parser.add_argument("--only", action="append", help="a table slug, e.g. pytorch/Rprop-paddle")
    parser.add_argument("--mappings", type=Path, default=Path("docs/mappings"))
    parser.add_argument("--output", type=Path, default=RECORDS)
    args = parser.parse_args(argv)
    items = [i for i in load_all(args.mappings) if not args.only or i.slug in args.only]
    failed = 0
    for item in items:
        if item.mapping.port is None:
            continue
        try:
            data = record(item, args.envs)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            print(f"{item.slug}: FAILED: {exc}", file=sys.stderr)
            failed += 1
            continue
        path = record_path(item.slug, args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{item.slug}: weights differ by {data['weights_gap']} -> {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
