"""Re-record the real frameworks' RMSprop/Rprop into each room's ``data/`` folder.

Maintainers run it with ``make goldens`` (``python -m optbridge.frameworks.recording``). Each
registered framework with a recorder (:attr:`Framework.recorder
<optbridge.frameworks.Framework.recorder>`) is run inside its own virtual environment,
``<envs>/<recorder_env>/bin/python`` (``--envs``, default ``build/goldens-envs``), and writes into
its room's ``data/``; a framework whose environment is missing is reported and fails the run, and
its committed JSON stays.

Setting up the environments (once, slow; run the installs one at a time)::

    python3.11 -m venv build/goldens-envs/optax && \\
        build/goldens-envs/optax/bin/pip install jax jaxlib "optax==0.2.8"
    python3.11 -m venv build/goldens-envs/tensorflow && \\
        build/goldens-envs/tensorflow/bin/pip install tensorflow-cpu
    python3.11 -m venv build/goldens-envs/paddle && \\
        build/goldens-envs/paddle/bin/pip install paddlepaddle
    python3.11 -m venv build/goldens-envs/mindspore && \\
        build/goldens-envs/mindspore/bin/pip install mindspore "numpy<2"

OneFlow cannot be installed here (PyPI has a placeholder only): its data is derived in this
process from OneFlow's kernel formula with numpy float32 and marked ``derived_from_source``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

from optbridge.frameworks import registry

SRC = Path(__file__).resolve().parents[3]
DEFAULT_ENVS = Path("build") / "goldens-envs"


def write(documents: dict[str, dict], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for api, doc in documents.items():
        path = out_dir / f"{api}.json"
        path.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        print(f"  wrote {path}")


def record_inside(room: str, out_dir: Path) -> None:
    """Runs in the framework's own interpreter."""
    module = importlib.import_module(registry()[room].recorder)
    write(module.record(), out_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m optbridge.frameworks.recording",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("frameworks", nargs="*",
                        help="which to record, by room name (default: every one with a recorder)")
    parser.add_argument("--envs", type=Path, default=DEFAULT_ENVS,
                        help="folder holding one virtual environment per framework")
    parser.add_argument("--out", type=Path,
                        help="where the JSON files go (default: each room's data/ folder)")
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    recordable = {key: f for key, f in registry().items() if f.recorder}

    if args.inside:
        record_inside(args.inside, args.out)
        return 0

    unknown = sorted(set(args.frameworks) - set(recordable))
    if unknown:
        parser.error(f"unknown framework(s) {unknown}; choose from {sorted(recordable)}")
    failures = []
    for room in args.frameworks or list(recordable):
        environment = recordable[room].recorder_env
        if environment is None:
            python = Path(sys.executable)
        else:
            python = args.envs / environment / "bin" / "python"
            if not python.exists():
                print(f"[{room}] not recorded: no virtual environment at "
                      f"{python.parent.parent} (see python -m optbridge.frameworks.recording "
                      f"--help and this module's docstring)", file=sys.stderr)
                failures.append(room)
                continue
        out = args.out or recordable[room].data_dir
        print(f"[{room}] recording with {python}")
        cmd = [str(python), "-m", "optbridge.frameworks.recording", "--inside", room,
               "--out", str(out.resolve())]
        # The framework's environment does not have optbridge installed: put our src/ first.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])}
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            failures.append(room)
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
