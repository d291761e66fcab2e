"""``make goldens`` (``python -m optbridge.frameworks.recording``): it records into the rooms and
fails clearly when a framework's environment is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optbridge.frameworks import registry
from optbridge.frameworks.recording.__main__ import main


def test_a_missing_environment_fails_naming_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["paddle", "--envs", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"[paddle] not recorded: no virtual environment at {tmp_path / 'paddle'}" in err
    assert "failed: paddle" in err
    assert not (tmp_path / "out").exists()


def test_an_unknown_framework_is_refused_with_the_choices(
    capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["caffe"])
    assert info.value.code == 2
    assert "unknown framework(s) ['caffe']; choose from" in capsys.readouterr().err


def test_recording_reproduces_the_committed_data(tmp_path: Path) -> None:
    """OneFlow's recorder needs only numpy, so it runs here, in a subprocess as for the others;
    its output must be the committed file, but for the interpreter's and numpy's versions."""
    assert main(["oneflow", "--out", str(tmp_path)]) == 0
    [written] = sorted(tmp_path.glob("*.json"))
    committed = registry()["oneflow"].data_dir / written.name

    def content(path: Path) -> dict:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {k: v for k, v in data.items() if k not in ("python_version", "numpy_version")}

    assert content(written) == content(committed)
