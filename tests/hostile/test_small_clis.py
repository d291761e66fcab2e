"""Issue 21, small command lines: ``python -m optbridge.run`` refuses what python refuses as
python does (one line, its exit status) and runs a folder's ``__main__.py`` as python does;
``python -m optbridge.mappings.checks`` refuses an empty path and checks one table alone."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from optbridge import run
from optbridge.mappings.checks.__main__ import main as check_main

from .conftest import REPO_ROOT, child_env, run_python

MAIN = "import sys\nprint('MAIN RAN', sys.argv[1:], __name__)\n"


def _python_itself(*args: str, cwd: Path) -> tuple[int, str]:
    """``python ARGS``'s exit status and last stderr line, without its program-name prefix."""
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False,
                          cwd=cwd, timeout=60)
    return done.returncode, done.stderr.strip().splitlines()[-1].split(": ", 1)[1]


@pytest.mark.parametrize(
    "module",
    ["nosuchmodule", "nosuch.sub", "json.nosuch", "os.path.x", ".relative", "tests.hostile"],
    ids=["missing", "missing-parent", "missing-submodule", "not-a-package", "relative",
         "package-without-main"],
)
def test_a_module_that_cannot_run_is_one_line_as_in_python(module, capsys):
    status, message = _python_itself("-m", module, cwd=REPO_ROOT)
    assert run.main(["-m", module]) == status == 1
    captured = capsys.readouterr()
    assert captured.err == f"optbridge.run: {message}\n" and captured.out == ""


def test_an_import_error_inside_the_module_is_the_module_s_own(tmp_path):
    # Only the lookup is python's one-line refusal: the module's own ImportError is its traceback.
    (tmp_path / "broken_job.py").write_text("import nosuchdependency\n")
    env = child_env()
    env["PYTHONPATH"] += f":{tmp_path}"
    result = run_python(["-m", "optbridge.run", "-m", "broken_job"], env=env)
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert result.stderr.strip().endswith("No module named 'nosuchdependency'")


def test_a_folder_or_zip_with_main_runs_as_in_python(tmp_path):
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "__main__.py").write_text(MAIN)
    with zipfile.ZipFile(tmp_path / "app.zip", "w") as archive:
        archive.writestr("__main__.py", MAIN)
    for target in (folder, tmp_path / "app.zip"):
        result = run_python(["-m", "optbridge.run", str(target), "a", "--b"])
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.strip() == "MAIN RAN ['a', '--b'] __main__"


def test_a_folder_without_main_is_one_line_as_in_python(tmp_path, capsys):
    folder = tmp_path / "empty"
    folder.mkdir()
    status, message = _python_itself(str(folder), cwd=tmp_path)
    assert run.main([str(folder)]) == status == 1
    assert capsys.readouterr().err == f"optbridge.run: {message}\n"
    assert message == f"can't find '__main__' module in {str(folder)!r}"


def test_a_missing_script_is_still_status_2_as_in_python(tmp_path, capsys):
    status, _ = _python_itself(str(tmp_path / "missing.py"), cwd=tmp_path)
    assert run.main([str(tmp_path / "missing.py")]) == status == 2
    assert capsys.readouterr().err.startswith("optbridge.run: cannot open script ")


# --- python -m optbridge.mappings.checks ---------------------------------------------------------

EMPTY = "argument mappings: empty path; name the folder of mapping files or one mapping file"


def _usage_error(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exited:
        check_main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m optbridge.mappings.checks")
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        ([""], EMPTY),
        (["  "], EMPTY),
        (["/nonexistent/x.toml"], "argument mappings: /nonexistent/x.toml: no such folder or file"),
        (["/dev/null"], "argument mappings: /dev/null: neither a folder nor a regular file"),
        (["docs/mappings", "--examples", ""], "argument --examples: empty path; name a folder"),
    ],
    ids=["empty", "blank", "missing", "device-file", "empty-examples"],
)
def test_checks_refuses_a_path_that_names_nothing(argv, error, capsys):
    if argv[0] == "/dev/null" and not Path("/dev/null").exists():
        pytest.skip("no /dev/null here")
    assert _usage_error(argv, capsys) == f"python -m optbridge.mappings.checks: error: {error}"


def test_checks_one_table_alone(capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    assert check_main(["docs/mappings/pytorch/Rprop-paddle.toml", "--no-recorded"]) == 0
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert rows == ["pytorch/Rprop-paddle", "total", "of"]


def test_checks_refuses_a_file_that_is_not_a_table(capsys, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    assert check_main(["README.md", "--no-recorded"]) == 2
    assert capsys.readouterr().err == (
        "README.md: a mapping file's name must end in '.toml' (lower case)\n")
