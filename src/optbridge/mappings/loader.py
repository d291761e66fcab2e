"""Load and validate the mapping data files, reporting every problem as ``file: field: what``."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .schema import FILE_STEM, MAX_API, MAX_FILE_BYTES, Mapping, structural_problems
from .vocabulary import FRAMEWORKS

#: How much of a rejected value an error line repeats.
_SHOWN = 60


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


def _shown(value: object) -> str:
    """A rejected value as the error line repeats it: its repr, cut to a readable length."""
    text = repr(value)
    if len(text) <= _SHOWN:
        return text
    size = f"{len(value)} characters" if isinstance(value, str) else type(value).__name__
    return f"{text[:_SHOWN]}... ({size})"


def _describe(error: dict) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing"
    if kind == "extra_forbidden":
        return "unknown key"
    message = error["msg"].removeprefix("Value error, ")
    if kind == "literal_error":
        message = message[0].lower() + message[1:]
    return f"{message} (got {_shown(error['input'])})"


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


def name_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a data file by its name alone (its stem becomes a page name and
    is pasted into generated markup), or None."""
    if path.suffix != ".toml":
        return "a mapping file's name must end in '.toml' (lower case)"
    if len(path.stem) > MAX_API:
        return f"file name of {len(path.stem)} characters; at most {MAX_API} before '.toml'"
    if not FILE_STEM.fullmatch(path.stem):
        return (
            f"file name {path.name!r}: a mapping file is named with letters, digits and '_', "
            "joined by '.' or '-' (no spaces), e.g. RMSprop-mindspore.toml"
        )
    return None


def load_mapping(path: Path) -> MappingFile:
    path = Path(path)
    where = display_path(path)
    problem = name_problem(path)
    if problem:
        raise MappingError([f"{where}: {problem}"])
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise MappingError(
                [f"{where}: {size} bytes; a mapping file may hold at most {MAX_FILE_BYTES}"]
            )
        # utf-8-sig: a byte-order mark some editors write is accepted and dropped.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MappingError([f"{where}: not UTF-8 text: {exc.reason} at byte {exc.start}"]) from None
    except OSError as exc:
        raise MappingError([f"{where}: cannot read: {exc.strerror or exc}"]) from None
    mapping = parse_mapping(text, path)
    return MappingFile(path=path, slug=f"{path.parent.name}/{path.stem}", mapping=mapping)


def mapping_paths(root: Path) -> tuple[list[Path], list[str]]:
    """The data files under ``root`` (``<framework>/<name>.toml``), in a stable order, and one
    problem line for every other file or folder found there: nothing is ignored silently."""
    root = Path(root)
    paths: list[Path] = []
    problems: list[str] = []
    for path in sorted(root.rglob("*")):
        depth = len(path.relative_to(root).parts)
        if path.is_dir():
            if depth == 1 and path.name not in FRAMEWORKS:
                problems.append(
                    f"{display_path(path)}: not a framework folder; expected one of "
                    f"{', '.join(FRAMEWORKS)}"
                )
            continue
        if depth == 1:
            problems.append(f"{display_path(path)}: not read; mapping files go in <framework>/")
        elif depth > 2:
            problems.append(
                f"{display_path(path)}: in a sub-folder, not read; mapping files go directly "
                "in <framework>/"
            )
        elif path.parent.name in FRAMEWORKS:
            paths.append(path)
    return paths, problems


def load_all(root: Path) -> list[MappingFile]:
    """Load every mapping under ``root``; raise one :class:`MappingError` with all problems."""
    root = Path(root)
    if not root.is_dir():
        raise MappingError([f"{display_path(root)}: no such folder"])
    loaded: list[MappingFile] = []
    paths, problems = mapping_paths(root)
    for path in paths:
        try:
            loaded.append(load_mapping(path))
        except MappingError as exc:
            problems.extend(exc.problems)
    if not loaded and not problems:
        problems.append(f"{display_path(root)}: no mapping files (<framework>/<name>.toml) found")
    if problems:
        raise MappingError(problems)
    return loaded
