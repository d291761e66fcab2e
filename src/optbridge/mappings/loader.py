"""Load and validate the mapping data files, reporting every problem as ``file: field: what``."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .schema import Mapping, structural_problems


class MappingError(Exception):
    """One or more mapping files are invalid; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class MappingFile:
    """A validated mapping and where it came from."""

    path: Path
    #: ``<source framework>/<file stem>``: the page's name under the generated mapping pages.
    slug: str
    mapping: Mapping


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working directory when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _field_path(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # Discriminated unions add the tag ("trajectory") to the location: not a key the user wrote.
            if part in ("trajectory", "validation", "recorded") and out.startswith("checks."):
                continue
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _describe(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "literal_error":
        return f"{error['msg'][0].lower()}{error['msg'][1:]} (got {error['input']!r})"
    return f"{error['msg']} (got {error['input']!r})"


def parse_mapping(text: str, path: Path) -> Mapping:
    """Validate one file's text; raise :class:`MappingError` listing every problem in it."""
    where = display_path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError([f"{where}: invalid TOML: {exc}"]) from None
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        lines = [f"{where}: {_field_path(e['loc'])}: {_describe(e)}" for e in exc.errors()]
        raise MappingError(lines) from None
    problems = [f"{where}: {field}: {what}" for field, what in structural_problems(mapping)]
    framework_dir = path.parent.name
    if mapping.source.framework != framework_dir:
        problems.append(
            f"{where}: source.framework: {mapping.source.framework!r} does not match the folder "
            f"{framework_dir!r} the file is in"
        )
    if problems:
        raise MappingError(problems)
    return mapping


def load_mapping(path: Path) -> MappingFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError([f"{display_path(path)}: cannot read: {exc}"]) from None
    mapping = parse_mapping(text, path)
    return MappingFile(path=path, slug=f"{path.parent.name}/{path.stem}", mapping=mapping)


def mapping_paths(root: Path) -> list[Path]:
    """Every data file under ``root`` (``<framework>/<name>.toml``), in a stable order."""
    return sorted(Path(root).glob("*/*.toml"))


def load_all(root: Path) -> list[MappingFile]:
    """Load every mapping under ``root``; raise one :class:`MappingError` with all problems."""
    loaded: list[MappingFile] = []
    problems: list[str] = []
    for path in mapping_paths(root):
        try:
            loaded.append(load_mapping(path))
        except MappingError as exc:
            problems.extend(exc.problems)
    if not loaded and not problems:
        problems.append(f"{display_path(Path(root))}: no mapping files (*/*.toml) found")
    if problems:
        raise MappingError(problems)
    return loaded
