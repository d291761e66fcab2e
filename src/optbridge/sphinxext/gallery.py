"""The executed gallery examples: their marked sides, recorded running times, and when to
re-run them.

An example marks the code of each side with a first line ``# optbridge: source`` or
``# optbridge: target``, so a reader sees at a glance which part is which framework's code.
"""

from __future__ import annotations

import hashlib
import re
import textwrap
from importlib.metadata import version
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx_gallery.py_source_parser import split_code_and_text_blocks

from optbridge import environment

MARKER = re.compile(r"\A\s*# optbridge: (source|target)[ \t]*\n")
OUTPUT_BLOCK = re.compile(
    r"\.\. rst-class:: sphx-glr-script-out\n\n \.\. code-block:: none\n\n(?P<body>(?:    .*\n|\n)+)"
)
RUNNING_TIME = re.compile(r"Total running time of the script:\*\* \((\d+) minutes ([\d.]+) seconds\)")
INPUTS_STAMP = ".optbridge-inputs"


class ExampleError(Exception):
    """An example lacks a marked side, or marks one twice."""


def marked_code(path: Path) -> dict[str, str]:
    """The code blocks of ``path`` marked as the source and the target side."""
    _, blocks = split_code_and_text_blocks(path)
    code: dict[str, str] = {}
    for block in blocks:
        label, content = block[0], block[1]
        match = MARKER.match(content) if label == "code" else None
        if match:
            if match.group(1) in code:
                raise ExampleError(f"{path}: more than one block marked '{match.group(1)}'")
            code[match.group(1)] = content[match.end() :].strip("\n")
    missing = {"source", "target"} - set(code)
    if missing:
        raise ExampleError(
            f"{path}: no code block starts with '# optbridge: {min(missing)}'"
        )
    return code


def recorded_output(rst: Path) -> tuple[str, float]:
    """What the executed script printed, and its running time, from the gallery's page."""
    text = rst.read_text(encoding="utf-8")
    chunks = [textwrap.dedent(m.group("body")).strip("\n") for m in OUTPUT_BLOCK.finditer(text)]
    timing = RUNNING_TIME.search(text)
    seconds = int(timing.group(1)) * 60 + float(timing.group(2)) if timing else 0.0
    return "\n".join(c for c in chunks if c), seconds


def recorded_times(gallery: Path) -> dict[str, float]:
    """Running time of each executed example, as its gallery page recorded it."""
    return {
        rst.stem: recorded_output(rst)[1]
        for rst in sorted(gallery.glob("plot_*.rst"))
    }


def remove_stale_outputs(gallery: Path, examples: Path) -> list[Path]:
    """Delete what sphinx-gallery generated for examples that no longer exist (it never does),
    so a renamed example leaves no orphan page behind."""
    removed = []
    for rst in gallery.glob("*.rst"):
        if rst.stem == "index" or (examples / f"{rst.stem}.py").exists():
            continue
        for path in [*gallery.glob(f"{rst.stem}.*"), *gallery.glob(f"images/*sphx_glr_{rst.stem}_*")]:
            path.unlink()
            removed.append(path)
        removed.append(rst)
    return removed


def gallery_inputs(root: Path) -> str:
    """A digest of everything an example's results depend on besides its own text."""
    digest = hashlib.sha256()
    digest.update(f"torch {version('torch')}\n".encode())
    digest.update(f"device {environment.text('OPTBRIDGE_DEVICE') or ''}\n".encode())
    for path in sorted((root / "src" / "optbridge").rglob("*.py")) + sorted(
        (root / "examples").glob("*.py")
    ):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp(root: Path) -> Path:
    return root / "docs" / "auto_examples" / INPUTS_STAMP


def gallery_inputs_changed(root: Path) -> bool:
    """True when the library, an example or the device changed since the gallery last ran."""
    stamp = _stamp(root)
    return not stamp.exists() or stamp.read_text(encoding="utf-8") != gallery_inputs(root)


def prepare_gallery_run(root: Path, gallery: Path) -> bool:
    """Make sphinx-gallery re-run every example when the library or the device changed.

    sphinx-gallery skips an example whose own checksum is unchanged, which would keep results
    computed by an older library; removing the checksums makes it run them all. (Doing this
    through its ``run_stale_examples`` option would change the Sphinx configuration between
    builds and make Sphinx rewrite every page.) Returns whether examples will run.
    """
    if not gallery_inputs_changed(root):
        return any(
            not (gallery / f"{example.stem}.py.md5").exists()
            for example in (root / "examples").glob("plot_*.py")
        )
    for checksum in gallery.glob("*.md5"):
        checksum.unlink()
    return True


def record_gallery_inputs(root: Path) -> None:
    """Called after a successful build: the gallery's results match the current inputs."""
    stamp = _stamp(root)
    if stamp.parent.exists():
        stamp.write_text(gallery_inputs(root), encoding="utf-8")


class RunningTimeAsData(SphinxTransform):
    """The "Total running time" line of a gallery page is this build's measurement, not prose:
    keep it out of the message catalogs (it would be a new message after every run) and write
    it in the page's language."""

    default_priority = 5  # before Sphinx translates paragraphs (priority 20)

    def apply(self, **kwargs: object) -> None:
        chinese = (self.config.language or "en").startswith("zh")
        for para in self.document.findall(nodes.paragraph):
            if "sphx-glr-timing" not in para["classes"]:
                continue
            para["translatable"] = False
            match = re.search(r"\((\d+) minutes ([\d.]+) seconds\)", para.astext())
            if chinese and match:
                minutes, seconds = match.groups()
                para.children = [nodes.strong(text="脚本总运行时间："),
                                 nodes.Text(f"{minutes} 分 {seconds} 秒")]
