"""Record golden trajectories of the real frameworks' RMSprop/Rprop into ``tests/goldens/*.json``.

Maintainers run it with ``make goldens`` (``.venv/bin/python tests/goldens/record.py``). Each
framework lives in its own virtual environment under ``build/goldens-envs/<framework>/``; a
framework whose environment is missing is skipped with a message, and its committed JSON stays.
CI never runs this: the tests in ``tests/compat`` read the committed files.

Setting up the environments (once, slow; run the installs one at a time)::

    python3.11 -m venv build/goldens-envs/optax && \\
        build/goldens-envs/optax/bin/pip install jax jaxlib "optax==0.2.8"
    python3.11 -m venv build/goldens-envs/tensorflow && \\
        build/goldens-envs/tensorflow/bin/pip install tensorflow-cpu
    python3.11 -m venv build/goldens-envs/paddle && \\
        build/goldens-envs/paddle/bin/pip install paddlepaddle
    python3.11 -m venv build/goldens-envs/mindspore && \\
        build/goldens-envs/mindspore/bin/pip install mindspore "numpy<2"

OneFlow cannot be installed here (PyPI has a placeholder only): its golden file is derived in
this process from OneFlow's kernel formula with numpy float32 and marked ``derived_from_source``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_ENVS = ROOT / "build" / "goldens-envs"
# environment name -> recorder module (in tests/goldens/recorders/)
RECORDERS = {
    "optax": "optax_recorder",
    "tensorflow": "tensorflow_recorder",
    "paddle": "paddle_recorder",
    "mindspore": "mindspore_recorder",
    "oneflow": "oneflow_recorder",  # derived from source; runs in the current interpreter
}
IN_PROCESS = {"oneflow"}


def write(documents: dict[str, dict], out_dir: Path) -> None:
    for api, doc in documents.items():
        path = out_dir / f"{api}.json"
        path.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        print(f"  wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def record_inside(env: str, out_dir: Path) -> None:
    """Runs in the framework's own interpreter."""
    sys.path.insert(0, str(HERE))
    module = importlib.import_module(f"recorders.{RECORDERS[env]}")
    write(module.record(), out_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("frameworks", nargs="*", default=list(RECORDERS),
                        help=f"which to record (default: all of {', '.join(RECORDERS)})")
    parser.add_argument("--envs", type=Path, default=DEFAULT_ENVS,
                        help="folder holding one virtual environment per framework")
    parser.add_argument("--out", type=Path, default=HERE, help="where the JSON files go")
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.inside:
        record_inside(args.inside, args.out)
        return 0

    unknown = sorted(set(args.frameworks) - set(RECORDERS))
    if unknown:
        parser.error(f"unknown framework(s) {unknown}; choose from {sorted(RECORDERS)}")
    failures = []
    for env in args.frameworks:
        if env in IN_PROCESS:
            python = Path(sys.executable)
        else:
            python = args.envs / env / "bin" / "python"
            if not python.exists():
                print(f"[{env}] skipped: no virtual environment at {python.parent.parent}")
                continue
        print(f"[{env}] recording with {python}")
        cmd = [str(python), str(Path(__file__).resolve()), "--inside", env, "--out",
               str(args.out)]
        if subprocess.run(cmd, cwd=ROOT, check=False).returncode != 0:
            failures.append(env)
    if failures:
        print(f"failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
