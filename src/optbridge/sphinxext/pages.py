"""Generated source pages: one stub per mapping, one index per source framework, one matrix.

The stubs hold only directives, the same for every language; the directives render the text of
the language being built. Files are rewritten only when their content changes, so an unchanged
stub does not make Sphinx re-read a page.
"""

from __future__ import annotations

from pathlib import Path

from optbridge.mappings import MappingFile
from optbridge.mappings.loader import display_path
from optbridge.mappings.schema import API_NAME, FILE_STEM

#: Folder, under the Sphinx source directory, that receives the generated pages (git-ignored).
GENERATED_DIR = "migration"


def _write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def docname(slug: str) -> str:
    """The Sphinx document name of the mapping page for ``slug`` (``pytorch/RMSprop-mindspore``)."""
    return f"{GENERATED_DIR}/{slug}"


def _checked(item: MappingFile, text: str, pattern, field: str) -> str:
    """``text``, which is pasted into generated MyST, if it cannot be markup. The schema and
    the loader already hold these fields to the same patterns; this keeps a table built
    another way from reaching a page."""
    if not pattern.fullmatch(text):
        raise ValueError(f"{display_path(item.path)}: {field}: {text!r} cannot go into a page")
    return text


def write_pages(srcdir: Path, mappings: list[MappingFile]) -> set[Path]:
    """Write every generated page; remove stale ones; return the paths written."""
    root = Path(srcdir) / GENERATED_DIR
    wanted: dict[Path, str] = {}
    frameworks: dict[str, list[str]] = {}
    for item in mappings:
        framework, stem = item.slug.split("/")
        _checked(item, framework, API_NAME, "folder")
        _checked(item, stem, FILE_STEM, "file name")
        source = _checked(item, item.mapping.source.api, API_NAME, "source.api")
        target = _checked(item, item.mapping.target.api, API_NAME, "target.api")
        # Several pages share a source API (torch.optim.RMSprop has three targets), so the
        # navigation names both sides; API names read the same in every language.
        entry = f"{source} → {target} <{stem}>"
        frameworks.setdefault(framework, []).append(entry)
        wanted[root / f"{item.slug}.md"] = f"```{{mapping-page}} {item.slug}\n```\n"
    for framework, entries in sorted(frameworks.items()):
        toctree = "\n".join(sorted(entries, key=str.lower))
        wanted[root / framework / "index.md"] = (
            f"```{{mapping-index}} {framework}\n```\n\n"
            f"```{{toctree}}\n:hidden:\n\n{toctree}\n```\n"
        )
    indexes = "\n".join(f"{framework}/index" for framework in sorted(frameworks))
    wanted[root / "index.md"] = (
        f"```{{mapping-matrix}}\n```\n\n```{{toctree}}\n:maxdepth: 1\n\n{indexes}\n```\n"
    )
    for path, text in wanted.items():
        _write_if_changed(path, text)
    if root.exists():
        for path in root.rglob("*.md"):
            if path not in wanted:
                path.unlink()
    return set(wanted)
