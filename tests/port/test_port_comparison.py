"""The comparison page's data: every cell links to an existing row of a mapping page."""

from __future__ import annotations

from pathlib import Path

import pytest

from optbridge.mappings import load_all
from optbridge.port.comparison import COLUMNS, ComparisonError, default_text, load_comparison

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "docs" / "port" / "comparison.toml"
TABLES = {i.slug: i for i in load_all(ROOT / "docs" / "mappings")}


def test_every_framework_optimizer_has_a_row() -> None:
    data = load_comparison(DATA, TABLES)
    apis = {row.api for row in data.row}
    in_tables = {i.mapping.source.api for i in TABLES.values()}
    in_tables |= {i.mapping.target.api for i in TABLES.values()}
    assert apis == in_tables
    for row in data.row:
        if "rprop" not in row.api.lower():
            assert all(getattr(row, column) is not None for column in COLUMNS), row.api


def test_defaults_are_read_from_the_tables() -> None:
    data = load_comparison(DATA, TABLES)
    torch_row = next(r for r in data.row if r.api == "torch.optim.RMSprop")
    assert default_text(torch_row, TABLES) == [
        ("lr=0.01", "lr"), ("alpha=0.99", "alpha"), ("eps=1e-08", "eps")]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "square_avg"', 'name = "sqr_avg"', "has no source row 'sqr_avg'"),
        ('page = "oneflow/RMSprop-mindspore"', 'page = "oneflow/nothing"',
         "no mapping page 'oneflow/nothing'"),
    ],
)
def test_a_broken_link_is_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = tmp_path / "comparison.toml"
    path.write_text(DATA.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ComparisonError) as caught:
        load_comparison(path, TABLES)
    assert any(message in line for line in caught.value.problems)
