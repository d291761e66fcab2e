"""Each malformed data file fails with one line per problem naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from optbridge.mappings import MappingError, load_all, load_mapping, parse_mapping

FIXTURES = Path(__file__).parent / "fixtures" / "schema" / "pytorch"


def problems_of(name: str) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping(FIXTURES / name)
    return caught.value.problems


def test_valid_fixture_loads() -> None:
    item = load_mapping(FIXTURES / "valid.toml")
    assert item.slug == "pytorch/valid"
    assert item.mapping.parameters[1].target_default == "0.001"
    assert item.mapping.checks["same_rule"].kind == "trajectory"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("missing-note-zh.toml", "parameters[1].note.zh: missing"),
        ("unknown-key.toml", "parameters[0].colour: unknown key"),
        ("bad-vocabulary.toml", "parameters[0].difference: input should be 'consistent'"),
        (
            "contradicting-difference.toml",
            "parameters[0].difference: 'renamed' contradicts the row: names 'params'/'params'",
        ),
        ("unknown-check.toml", "parameters[1].check: names unknown check 'no_such_check'"),
        (
            "wrong-folder.toml",
            "source.framework: 'tensorflow' does not match the folder 'pytorch'",
        ),
        ("agree-without-tolerance.toml", "checks.same_rule.tolerance: missing"),
        ("invalid-toml.toml", "invalid TOML: "),
        ("bad-url.toml", "source.doc_url: Input should be a valid URL"),
        ("unmatched-reference.toml",
         "parameters[0].note.zh: links [] where the English text links ['problem-sign-flip']"),
    ],
)
def test_malformed_fixture_names_file_and_field(fixture: str, expected: str) -> None:
    problems = problems_of(fixture)
    assert len(problems) == 1, problems
    prefix = f"{FIXTURES / fixture}"
    line = problems[0]
    assert Path(line.split(": ", 1)[0]).resolve() == Path(prefix).resolve(), line
    assert expected in line, line


def test_every_problem_of_a_file_is_reported() -> None:
    text = (FIXTURES / "unknown-key.toml").read_text(encoding="utf-8")
    text = text.replace('zh = "初始步长。"', 'fr = "Pas initial."')
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, Path("pytorch/two-problems.toml"))
    fields = sorted(p.split(": ")[1] for p in caught.value.problems)
    assert fields == ["parameters[0].colour", "parameters[1].note.fr", "parameters[1].note.zh"]


def test_load_all_collects_problems_of_every_file() -> None:
    with pytest.raises(MappingError) as caught:
        load_all(FIXTURES.parent)
    named = {Path(p.split(": ", 1)[0]).name for p in caught.value.problems}
    assert named == {p.name for p in FIXTURES.glob("*.toml")} - {"valid.toml"}


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="no mapping files"):
        load_all(tmp_path)


def test_project_mappings_are_valid(repo_root: Path) -> None:
    items = load_all(repo_root / "docs" / "mappings")
    assert len(items) >= 10
    for item in items:
        assert item.mapping.examples, f"{item.path}: no example"
