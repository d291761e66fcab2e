"""Random mutations of the ten mapping tables (seeded): each either loads and renders a correct
page, or is refused with problem lines that each fit on one line and name the file.

In-process: the loader, the schema's rules and the renderer a page build uses, without Sphinx,
so a few hundred mutations take seconds. ``OPTBRIDGE_FUZZ_SEED`` and ``OPTBRIDGE_FUZZ_RUNS``
replay or widen a run; a failure prints the seed, the mutation and the file.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from docutils import nodes

from optbridge.mappings import MappingError, load_mapping
from optbridge.mappings.loader import display_path
from optbridge.mappings.schema import API_NAME, FILE_STEM
from optbridge.sphinxext.pages import write_pages

from .tables import TABLE_PATHS, rendered_page

SEED = int(os.environ.get("OPTBRIDGE_FUZZ_SEED", "15"))
RUNS = int(os.environ.get("OPTBRIDGE_FUZZ_RUNS", "300"))
MAX_PROBLEM_LINE = 400

HOSTILE_TEXT = [
    "", " ", "\t", "\n", "x" * 2000, "<script>alert(1)</script>",
    "```{raw} html\n<script>alert(1)</script>\n```", "`", "``", "a`b`c`", "\x00", "\u202e",
    "torch.optim.RMSprop <x>\n:hidden:", "../../../etc/passwd", "{toctree}", "javascript:alert(1)",
    "http://", "https://example.org/<script>", "1e309", "None", "required", "中文说明", "\ufeff",
    "torch.optim.RMSprop", "lr", "plot_x", "mindspore", "consistent", "renamed", "agree", "trajectory",
    "optbridge.compat.paddle:Rprop", "0.01", "(0.5, 1.2)", "${HOME}", "%s%n", "\\", '"', "'''",
]
HOSTILE_VALUES: list[Any] = [
    *HOSTILE_TEXT, 0, -1, 1, 10**30, 0.0, -0.0, 1e-300, math.inf, -math.inf, math.nan, True,
    False, [], [1, 2], ["a"], {}, {"en": "x"}, {"en": "x", "zh": "y"}, {"unknown": 1},
]
HOSTILE_STEMS = ["Rprop paddle copy", "x`y", "a<b>", "..", "-x", "x-", "中文", "a.b-c_d", "ok",
                 "x" * 200, "RMSprop-mindspore", "a\u00a0b"]
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def toml_document(data: dict[str, Any]) -> str:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in data.items())


def containers(data: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every dict and list in ``data`` with its path, ``data`` included."""
    found = [(path, data)] if isinstance(data, dict | list) else []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        found += containers(value, (*path, key))
    return found


def mutate(rng: random.Random, text: str, stem: str) -> tuple[str | bytes, str, str]:
    """One random mutation: (new file content, new stem, what was done)."""
    kind = rng.choice(["value", "value", "value", "delete", "add", "duplicate", "empty", "text",
                       "bom", "stem"])
    if kind == "text":
        at = rng.randrange(len(text))
        if rng.random() < 0.5:
            return text[:at], stem, f"truncated at {at}"
        char = rng.choice(["`", "\n", "=", "[", '"', "\x00", "}", "#"])
        return text[:at] + char + text[at:], stem, f"inserted {char!r} at {at}"
    if kind == "bom":
        return b"\xef\xbb\xbf" + text.encode(), stem, "byte-order mark"
    if kind == "stem":
        new = rng.choice(HOSTILE_STEMS)
        return text, new, f"file stem {new!r}"
    data = tomllib.loads(text)
    path, container = rng.choice(containers(data))
    keys = list(container) if isinstance(container, dict) else list(range(len(container)))
    if kind == "add" or not keys:
        if isinstance(container, dict):
            container["colour"] = rng.choice(HOSTILE_VALUES)
        else:
            container.append(rng.choice(HOSTILE_VALUES))
        return toml_document(data), stem, f"added to {path}"
    key = rng.choice(keys)
    if kind == "value":
        value = rng.choice(HOSTILE_VALUES)
        container[key] = value
        return toml_document(data), stem, f"{(*path, key)} = {value!r:.60}"
    if kind == "delete":
        del container[key]
        return toml_document(data), stem, f"deleted {(*path, key)}"
    if kind == "duplicate" and isinstance(container, list):
        container.append(container[key])
        return toml_document(data), stem, f"duplicated {(*path, key)}"
    if isinstance(container[key], list | dict):
        container[key] = type(container[key])()
        return toml_document(data), stem, f"emptied {(*path, key)}"
    return toml_document(data), stem, "re-serialized unchanged"


def assert_correct_page(item, tmp: Path) -> None:
    """The page of an accepted table: markup only from our templates, its facts as text."""
    mapping = item.mapping
    written = write_pages(tmp, [item])
    framework = item.slug.split("/")[0]
    stub = (tmp / "migration" / f"{item.slug}.md").read_text(encoding="utf-8")
    assert stub == f"```{{mapping-page}} {item.slug}\n```\n"
    index = (tmp / "migration" / framework / "index.md").read_text(encoding="utf-8")
    entry = index.split(":hidden:\n\n")[1].split("\n```")[0]
    assert re.fullmatch(rf"{API_NAME.pattern} → {API_NAME.pattern} <{FILE_STEM.pattern}>", entry)
    assert entry.endswith(f" <{item.path.stem}>")
    assert len(written) == 3
    for language in ("en", "zh"):
        page = rendered_page(item, language)
        assert not list(page.findall(nodes.raw))
        shown = page.astext()
        assert mapping.source.api in shown and mapping.target.api in shown
        for row in mapping.parameters:
            assert (row.source or row.target) in shown


def test_mutated_tables_build_a_page_or_fail_naming_the_file(tmp_path):
    rng = random.Random(SEED)
    outcomes = {"accepted": 0, "refused": 0}
    for run in range(RUNS):
        original = rng.choice(TABLE_PATHS)
        content, stem, what = mutate(rng, original.read_text(encoding="utf-8"), original.stem)
        folder = tmp_path / str(run) / original.parent.name
        folder.mkdir(parents=True)
        path = folder / f"{stem}.toml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        context = f"seed {SEED}, run {run}: {original.name}, {what}"
        try:
            item = load_mapping(path)
        except MappingError as error:
            outcomes["refused"] += 1
            assert error.problems, context
            for line in error.problems:
                assert "\n" not in line and len(line) <= MAX_PROBLEM_LINE, (context, line)
                assert line.startswith(f"{display_path(path)}: "), (context, line)
            continue
        outcomes["accepted"] += 1
        try:
            assert_correct_page(item, tmp_path / str(run) / "docs")
        except Exception as error:  # noqa: BLE001  (report which mutation broke the page)
            pytest.fail(f"{context}: accepted, but the page is wrong: {error!r}")
    # Both outcomes must occur, or the mutations test nothing.
    assert min(outcomes.values()) >= RUNS // 10, outcomes
