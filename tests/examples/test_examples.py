"""The gallery examples: each runs alone on every device, and each mapping page's example has
the source and target blocks the page embeds.

Every example asserts the claims of its mapping page, so a run that exits with 0 is the check.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from optbridge.sphinxext.gallery import marked_code

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
MAPPINGS = REPO_ROOT / "docs" / "mappings"
SCRIPTS = sorted(EXAMPLES.glob("plot_*.py"))
TIMEOUT_S = 180  # one example; they take seconds, the DDP tutorial starts two more processes
TAIL = 4000  # characters of a failed run's output shown in the report

DEVICES = [
    "cpu",
    "npu",  # the simulated NPU without Ascend hardware
    pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                                  reason="CUDA is not available here")),
]


def _mapping_examples() -> list[tuple[str, str]]:
    """(mapping file relative to the repository, example script name) for every mapping."""
    found = []
    for path in sorted(MAPPINGS.glob("*/*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for entry in data.get("examples", []):
            found.append((path.relative_to(REPO_ROOT).as_posix(), entry["script"]))
    return found


def test_examples_exist() -> None:
    assert SCRIPTS, f"no plot_*.py in {EXAMPLES}"
    assert _mapping_examples(), f"no [[examples]] in {MAPPINGS}"


class ExampleRuns:
    """Runs the selected (script, device) pairs as subprocesses, a few at a time.

    A run takes a few seconds, most of them spent importing torch in a fresh process, so two
    run at once (one per core on CI) while each test still waits for and reports its own run.
    """

    def __init__(self, wanted: list[tuple[Path, str]], parallel: int) -> None:
        self.queue = list(wanted)
        self.parallel = parallel
        self.running: dict[tuple[Path, str], tuple[subprocess.Popen, float, Path, Path]] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="optbridge-examples-"))

    def _start(self, key: tuple[Path, str]) -> None:
        script, device = key
        env = {**os.environ, "MPLBACKEND": "Agg"}
        env.pop("OPTBRIDGE_DEVICE", None)  # --device decides
        out, err = (self.tmp / f"{script.stem}.{device}.{name}" for name in ("out", "err"))
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen([sys.executable, str(script), "--device", device],
                                       cwd=REPO_ROOT, env=env, stdout=stdout, stderr=stderr)
        self.running[key] = (process, time.monotonic(), out, err)
        if key in self.queue:
            self.queue.remove(key)

    def result(self, script: Path, device: str) -> tuple[int | None, str, str]:
        """(exit code, or None after the timeout; stdout; stderr) of one run."""
        key = (script, device)
        if key not in self.running:
            self._start(key)
        while self.queue and sum(p.poll() is None for p, *_ in self.running.values()) \
                < self.parallel:
            self._start(self.queue[0])
        process, started, out, err = self.running.pop(key)
        try:
            process.wait(timeout=max(1.0, started + TIMEOUT_S - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return None, out.read_text(), err.read_text()
        return process.returncode, out.read_text(), err.read_text()

    def close(self) -> None:
        for process, *_ in self.running.values():
            if process.poll() is None:  # started ahead for a test that did not run
                process.kill()
                process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def example_runs(request: pytest.FixtureRequest) -> Iterator[ExampleRuns]:
    wanted = [(item.callspec.params["script"], item.callspec.params["device"])
              for item in request.session.items
              if getattr(item, "originalname", "") == "test_example_runs"
              and (item.callspec.params["device"] != "cuda" or torch.cuda.is_available())]
    runs = ExampleRuns(wanted, parallel=max(1, min(2, os.cpu_count() or 1)))
    yield runs
    runs.close()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_example_runs(script: Path, device: str, example_runs: ExampleRuns) -> None:
    code, stdout, stderr = example_runs.result(script, device)
    command = f"{script.name} --device {device}"
    assert code is not None, f"{command} ran over {TIMEOUT_S} s; stderr:\n{stderr[-TAIL:]}"
    assert code == 0, (
        f"{command} exited with {code}\n"
        f"--- stdout (end) ---\n{stdout[-TAIL:]}\n"
        f"--- stderr (end) ---\n{stderr[-TAIL:]}"
    )
    assert stdout.strip(), f"{command} printed nothing"


@pytest.mark.parametrize(("mapping", "script"), _mapping_examples(),
                         ids=[s for _, s in _mapping_examples()])
def test_mapping_example_has_both_sides(mapping: str, script: str) -> None:
    path = EXAMPLES / f"{script}.py"
    assert path.exists(), f"{mapping} names example {script!r}, but {path} does not exist"
    code = marked_code(path)
    for side in ("source", "target"):
        assert code[side].strip(), f"{path.name}: the '# optbridge: {side}' block is empty"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.stem)
def test_example_has_a_title(script: Path) -> None:
    # sphinx-gallery takes the page title from the docstring's first reST title
    match = re.match(r'\s*"""\n(?P<title>[^\n]+)\n(?P<rule>=+)\n\n\S', script.read_text("utf-8"))
    assert match, f"{script.name}: the docstring must open with a title underlined by '=' " \
                  "and a paragraph"
    assert len(match["rule"]) >= len(match["title"]), f"{script.name}: underline too short"
