"""The data of the comparison page: one row per framework's RMSprop and Rprop.

``docs/port/comparison.toml`` names, for every cell, the mapping-table row that states and
checks it; the defaults are read from those rows, not restated. :func:`load_comparison` refuses
a cell whose page or row does not exist, one line per problem.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from optbridge.mappings import MappingFile
from optbridge.mappings.schema import ParameterRow

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Side = Literal["source", "target"]
#: The fact columns, in page order (the defaults column comes first).
COLUMNS = ("eps", "accumulator", "lr_momentum", "weight_decay", "validation", "fused")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RowLink(_Strict):
    page: NonEmpty
    side: Side


class Cell(RowLink):
    en: NonEmpty
    zh: NonEmpty
    name: NonEmpty

    def __getitem__(self, language: str) -> str:
        return getattr(self, language)


class Defaults(RowLink):
    names: list[NonEmpty]


class Row(_Strict):
    api: NonEmpty
    defaults: Defaults
    eps: Cell | None = None
    accumulator: Cell | None = None
    lr_momentum: Cell | None = None
    weight_decay: Cell | None = None
    validation: Cell | None = None
    fused: Cell | None = None


class Comparison(_Strict):
    row: list[Row]


class ComparisonError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def find_row(item: MappingFile, side: Side, name: str) -> ParameterRow | None:
    return next((r for r in item.mapping.parameters if getattr(r, side) == name), None)


def load_comparison(path: Path, tables: dict[str, MappingFile]) -> Comparison:
    """Validate the file against the tables it links to."""
    try:
        data = Comparison.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ComparisonError([f"{path}: {exc}"]) from None
    except ValidationError as exc:
        raise ComparisonError([f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}"
                               for e in exc.errors()]) from None
    problems = []
    for i, row in enumerate(data.row):
        links = [("defaults", row.defaults, n) for n in row.defaults.names]
        links += [(c, getattr(row, c), getattr(row, c).name) for c in COLUMNS if getattr(row, c)]
        for column, link, name in links:
            item = tables.get(link.page)
            where = f"{path}: row[{i}] ({row.api}).{column}"
            if item is None:
                problems.append(f"{where}: no mapping page {link.page!r}")
            elif row.api not in (item.mapping.source.api, item.mapping.target.api):
                problems.append(f"{where}: {link.page} does not map {row.api}")
            elif find_row(item, link.side, name) is None:
                problems.append(f"{where}: {link.page} has no {link.side} row {name!r}")
    if problems:
        raise ComparisonError(problems)
    return data


def default_text(row: Row, tables: dict[str, MappingFile]) -> list[tuple[str, str]]:
    """``(name=default, anchor name)`` per default of the row, read from the linked table."""
    item = tables[row.defaults.page]
    out = []
    for name in row.defaults.names:
        found = find_row(item, row.defaults.side, name)
        assert found is not None
        default = getattr(found, f"{row.defaults.side}_default") or "required"
        out.append((f"{name}={default}", name))
    return out
