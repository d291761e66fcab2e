"""The checks bite: each wrong fixture fails naming the file, the row and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from optbridge.mappings import load_all, load_mapping
from optbridge.mappings.checks import check_mapping
from optbridge.mappings.checks.__main__ import main as check_main

FIXTURES = Path(__file__).parent / "fixtures" / "claims" / "pytorch"


def failures(name: str, recorded: bool = False) -> list[str]:
    report = check_mapping(load_mapping(FIXTURES / name), recorded=recorded)
    return [claim.line() for claim in report.failures]


def test_correct_fixture_passes() -> None:
    assert failures("correct.toml") == []
    assert failures("correct.toml", recorded=True) == []


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("wrong-default.toml",
         ("parameters[1].target_default: target names and defaults vs "
         "optbridge.compat.paddle.Rprop: FAIL states 0.05, the signature has 0.001")),
        ("misspelled-parameter.toml",
         "parameters[6].source: source names and defaults vs torch.optim.Rprop"),
        ("misspelled-parameter.toml", "source parameter 'maximize' has no row"),
        ("missing-parameter.toml", "source parameter 'differentiable' has no row"),
        ("wrong-verdict.toml",
         "checks.default_lr: trajectory check for parameters[1]: FAIL max |Δ| = 0.0436"),
        ("nonexistent-api.toml",
         "source.api: torch.optim.RProp exists: FAIL torch.optim has no attribute 'RProp'"),
        # one fixture per kind of the checks below
        ("wrong-displayed-default.toml",
         ("source.signature: displayed signature vs torch.optim.Rprop 2.13.0+cpu: FAIL shows "
         "lr=0.02, the signature has 0.01")),
        ("wrong-displayed-recorded.toml",
         ("target.signature: displayed signature vs paddle 3.3.1 (recorded): FAIL shows "
         "learning_rate=0.01, the signature has 0.001")),
        ("check-not-exercising.toml",
         ("parameters[3].check: checks exercise their rows: FAIL check 'matched' does not "
         "exercise the row: it does not pass etas")),
        ("check-at-default.toml",
         ("parameters[3].check: checks exercise their rows: FAIL check 'matched_etas' does not "
         "exercise the row: it passes etas only at its default")),
        ("params-without-groups.toml",
         ("parameters[0].check: checks exercise their rows: FAIL check 'matched' does not "
         "exercise the row: it runs without parameter groups")),
        ("unused-check.toml",
         "checks.orphan: checks exercise their rows: FAIL is named by no row and no difference"),
        ("recorded-other-run.toml",
         ("checks.group_learning_rate_ignored: recorded check for parameters[0]: FAIL the table "
         "describes another run than the recorded case 'group_learning_rate_ignored': groups")),
        ("recorded-wrong-verdict.toml",
         ("checks.group_learning_rate_ignored: recorded check for parameters[0]: FAIL max |Δ| = "
         "0.194 after 5 steps (must be ≤ 1e-06), against paddle.optimizer.Rprop (recorded")),
    ],
)
def test_wrong_fixture_fails_with_a_precise_message(fixture: str, expected: str) -> None:
    lines = failures(fixture, recorded=True)
    assert any(expected in line for line in lines), "\n".join(lines)
    assert all(line.startswith(str(FIXTURES / fixture)) for line in lines)


def test_every_project_claim_holds(repo_root: Path) -> None:
    problems = []
    for item in load_all(repo_root / "docs" / "mappings"):
        report = check_mapping(item, recorded=True)
        problems += [claim.line() for claim in report.failures]
        assert any(c.status == "pass" for c in report.claims), item.path
    assert not problems, "\n".join(problems)


def test_make_check_prints_a_table_and_fails_on_a_false_claim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "pytorch"
    folder.mkdir()
    (folder / "Rprop-paddle.toml").write_bytes((FIXTURES / "wrong-verdict.toml").read_bytes())
    assert check_main([str(tmp_path), "--no-recorded"]) == 1
    out = capsys.readouterr()
    assert "pytorch/Rprop-paddle" in out.out and "total" in out.out
    assert "of which displayed signatures" in out.out
    assert "checks.default_lr" in out.err
    (folder / "Rprop-paddle.toml").write_bytes((FIXTURES / "correct.toml").read_bytes())
    assert check_main([str(tmp_path), "--no-recorded"]) == 0
