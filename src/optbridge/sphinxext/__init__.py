"""Sphinx extension: pages generated from the mapping data files, in the language being built.

Configuration (``conf.py``): ``optbridge_mappings_dir``, the folder of data files, and
``optbridge_native_dir``, the folder of native snippets, both relative to the configuration
directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from optbridge.mappings import MappingError, load_all

from .directives import ExampleTimings, MappingIndex, MappingMatrix, MappingPage
from .gallery import (
    RunningTimeAsData,
    prepare_gallery_run,
    record_gallery_inputs,
    remove_stale_outputs,
)
from .pages import GENERATED_DIR, write_pages
from .port_comparison import PortComparison

logger = logging.getLogger(__name__)


def load_and_generate(app: Sphinx) -> None:
    root = Path(app.confdir) / app.config.optbridge_mappings_dir
    try:
        items = load_all(root)
    except MappingError as exc:
        # One line per problem, then stop before anything is rendered. Any exception would make
        # Sphinx print a crash report asking to file a Sphinx bug, which hides the real message.
        for problem in exc.problems:
            logger.error(problem)
        logger.error("Mapping data error: %d problem(s); nothing was built.", len(exc.problems))
        raise SystemExit(2) from None
    app.optbridge_mappings = {item.slug: item for item in items}
    write_pages(Path(app.srcdir), items)


def outdated_when_set_changes(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Index pages list every mapping: re-render them when a data file appears or goes."""
    slugs = sorted(app.optbridge_mappings)
    if getattr(env, "optbridge_slugs", None) == slugs:
        return []
    env.optbridge_slugs = slugs
    return [d for d in env.found_docs if d.startswith(f"{GENERATED_DIR}/") and d.endswith("index")]


def record_gallery_run(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and getattr(app.config, "sphinx_gallery_conf", None):
        record_gallery_inputs(Path(app.confdir))


def prune_removed_pages(app: Sphinx, exception: Exception | None) -> None:
    """Delete HTML left by pages whose source is gone (Sphinx keeps it), so the site that is
    deployed has no stale page; folders starting with ``_`` hold assets and are left alone."""
    if exception is not None or app.builder.name != "html":
        return
    outdir = Path(app.outdir)
    keep = {f"{docname}.html" for docname in app.env.found_docs}
    keep |= {"genindex.html", "search.html", "py-modindex.html"}
    for page in outdir.rglob("*.html"):
        relative = page.relative_to(outdir).as_posix()
        if not relative.startswith("_") and relative not in keep:
            page.unlink()


def prepare_gallery(app: Sphinx) -> None:
    """Before sphinx-gallery runs: drop outputs of removed examples, decide what re-runs, and
    register the simulated NPU if examples will run (autograd must not have run before it)."""
    conf = getattr(app.config, "sphinx_gallery_conf", None)
    if not conf:
        return
    srcdir = Path(app.srcdir)
    gallery = srcdir / conf["gallery_dirs"]
    remove_stale_outputs(gallery, srcdir / conf["examples_dirs"])
    if prepare_gallery_run(Path(app.confdir), gallery):
        from optbridge.npu import install, real_torch_npu_available

        if not real_torch_npu_available():
            install()


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("optbridge_mappings_dir", "docs/mappings", "env", types=[str])
    # Native snippets (examples/native/<source>/<mapping>/train_<room>.py), relative to the
    # configuration directory; empty: mapping pages have no native code example.
    app.add_config_value("optbridge_native_dir", "", "env", types=[str])
    app.connect("builder-inited", load_and_generate)
    app.connect("builder-inited", prepare_gallery, priority=400)  # before sphinx-gallery runs
    app.connect("env-get-outdated", outdated_when_set_changes)
    app.connect("build-finished", record_gallery_run)
    app.connect("build-finished", prune_removed_pages)
    app.add_directive("mapping-page", MappingPage)
    app.add_directive("mapping-index", MappingIndex)
    app.add_directive("mapping-matrix", MappingMatrix)
    app.add_directive("example-timings", ExampleTimings)
    app.add_directive("port-comparison", PortComparison)
    app.add_transform(RunningTimeAsData)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
