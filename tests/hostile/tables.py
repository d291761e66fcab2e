"""The ten mapping tables as test material: copies to mutate, and what a page made of one shows."""

from __future__ import annotations

import shutil
from pathlib import Path

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from optbridge.mappings import MappingFile
from optbridge.sphinxext import render

REPO_ROOT = Path(__file__).resolve().parents[2]
TABLES = REPO_ROOT / "docs" / "mappings"
TABLE_PATHS = sorted(TABLES.glob("*/*.toml"))


def copy_tables(destination: Path) -> Path:
    shutil.copytree(TABLES, destination)
    return destination


def rendered_page(item: MappingFile, language: str) -> nodes.document:
    """The body of ``item``'s page in ``language`` as the directive renders it, in a document."""
    document = new_document("<page>", get_default_settings(Parser))

    def make_section(title: str, anchor: str | None = None) -> nodes.section:
        section = nodes.section()
        section += nodes.title(title, title)
        section["names"].append(nodes.fully_normalize_name(anchor or title))
        document.note_implicit_target(section, section)
        return section

    document += render.mapping_body(item, language, make_section)
    document += render.index_table([item], language)
    document += render.matrix_table([item], language)
    return document
