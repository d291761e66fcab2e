"""Figures in the reader's language.

A figure drawn by :func:`optbridge.plotting.plot_curves` carries a function that draws it again
with Chinese text. When sphinx-gallery runs an example (the English build), the scraper saves
each figure as usual and, next to it, its Chinese twin ``<name>.zh.png`` with the Chinese title
in ``<name>.zh.txt``; each gallery thumbnail gets its twin from the Chinese first figure. The
Chinese build shows the twins: on the gallery pages, the gallery index and wherever a figure is
embedded, with the Chinese title as alt text.

``conf.py``: ``sphinx_gallery_conf["image_scrapers"] = ("optbridge.sphinxext.figures.scraper",)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

#: Attribute of a matplotlib Figure: a function that draws the same figure with Chinese text
#: and returns ``(figure, title)``.
CHINESE_TWIN = "optbridge_chinese"


def twin_of(image: Path) -> Path:
    """``sphx_glr_x_001.png`` -> ``sphx_glr_x_001.zh.png``."""
    return image.with_name(f"{image.stem}.zh{image.suffix}")


def scraper(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any],
            **kwargs: Any) -> str:
    """sphinx-gallery's matplotlib scraper, then the Chinese twin of every figure that has one."""
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import matplotlib_scraper

    paths = block_vars["image_path_iterator"]
    before = len(paths.paths)
    twins = [getattr(plt.figure(n), CHINESE_TWIN, None) for n in plt.get_fignums()]
    rst = matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)  # closes the figures
    for draw, path in zip(twins, paths.paths[before:], strict=False):
        image = Path(path)
        twin = twin_of(image)
        twin.unlink(missing_ok=True)
        twin.with_suffix(".txt").unlink(missing_ok=True)
        if draw is None:
            continue
        figure, title = draw()
        figure.savefig(twin)
        plt.close(figure)
        twin.with_suffix(".txt").write_text(title, encoding="utf-8")
    return rst


class ChineseFigures(SphinxTransform):
    """In the Chinese build, every image that has a Chinese twin shows the twin."""

    default_priority = 5

    def apply(self, **kwargs: object) -> None:
        if not (self.config.language or "en").lower().startswith("zh"):
            return
        srcdir = Path(self.env.srcdir)
        for node in self.document.findall(nodes.Element):
            uri = node.get("uri") if node.tagname in ("image", "imgsgnode") else None
            if not uri or not uri.startswith("/") or not uri.endswith(".png"):
                continue
            twin = twin_of(Path(uri))
            if not (srcdir / twin.as_posix().lstrip("/")).is_file():
                continue
            node["uri"] = twin.as_posix()
            if node.get("srcset"):
                node["srcset"] = twin.as_posix()
            title = srcdir / twin.with_suffix(".txt").as_posix().lstrip("/")
            if title.is_file():
                # sphinx-gallery writes the alt text of its images into HTML unescaped
                alt = title.read_text(encoding="utf-8").strip()
                node["alt"] = "".join(c for c in alt if c not in '"<>&')


def chinese_thumbnails(app: Sphinx, *_: object) -> None:
    """``images/thumb/sphx_glr_x_thumb.zh.png`` from ``images/sphx_glr_x_001.zh.png``, scaled
    as sphinx-gallery scales the English thumbnail (after the gallery ran, before reading)."""
    from sphinx_gallery.utils import scale_image

    conf = app.config.sphinx_gallery_conf
    images = Path(app.srcdir) / conf["gallery_dirs"] / "images"
    width, height = conf.get("thumbnail_size", (400, 280))
    for thumb in sorted((images / "thumb").glob("sphx_glr_*_thumb.png")):
        first = images / f"{thumb.stem.removesuffix('_thumb')}_001.zh.png"
        chinese = twin_of(thumb)
        if not first.is_file():
            chinese.unlink(missing_ok=True)
        elif not chinese.is_file() or chinese.stat().st_mtime < first.stat().st_mtime:
            scale_image(first, chinese, width, height)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_transform(ChineseFigures)
    app.connect("env-before-read-docs", chinese_thumbnails)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
