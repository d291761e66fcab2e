"""What a reader looks for around the content: the versions the site was checked against, the
table a mapping page was generated from, the way from an example back to its mapping page, and
the API reference's prose in the reader's language.

Templates ``optbridge-versions.html`` and ``optbridge-source.html`` (``docs/_templates``) show
the values this extension puts in each page's context.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform

from optbridge.mappings import MappingFile
from optbridge.mappings.vocabulary import FRAMEWORKS, Language, phrase, site_language

from .pages import GENERATED_DIR, docname

#: Folder of the built site that receives a copy of every mapping table.
TABLES_DIR = "_mappings"

LABELS: dict[str, dict[Language, str]] = {
    "source": {"en": "View source (the table this page is built from)",
               "zh": "查看源文件（生成本页的数据表）"},
    "checked": {"en": "Checked against", "zh": "核对版本"},
    "mapping_page": {"en": "Mapping page of this example: ", "zh": "本示例对应的映射页面："},
}


def checked_versions(items: list[MappingFile]) -> list[str]:
    """``PyTorch 2.13.0``, ... : each framework version that some mapping page was checked
    against, in the order of FRAMEWORKS."""
    seen: dict[str, set[str]] = {}
    for item in items:
        for api in (item.mapping.source, item.mapping.target):
            seen.setdefault(api.framework, set()).add(api.version)
    return [f"{FRAMEWORKS[key]} {' / '.join(sorted(seen[key]))}" for key in FRAMEWORKS
            if key in seen]


def page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                 doctree: nodes.document | None) -> None:
    language = site_language(app.config.language)
    items = getattr(app, "optbridge_mappings", {})
    context["optbridge_checked"] = (
        f"{LABELS['checked'][language]}: {', '.join(checked_versions(list(items.values())))}"
    )
    item = items.get(pagename.removeprefix(f"{GENERATED_DIR}/"))
    if pagename.startswith(f"{GENERATED_DIR}/") and item is not None:
        context["optbridge_source"] = f"{TABLES_DIR}/{item.slug}.toml"
        context["optbridge_source_label"] = LABELS["source"][language]


def widen_mapping_pages(app: Sphinx, pagename: str, templatename: str,
                        context: dict[str, Any], doctree: nodes.document | None) -> None:
    """Mapping pages give the secondary sidebar's width to their tables (after the theme has
    chosen the sidebar's items)."""
    if pagename.removeprefix(f"{GENERATED_DIR}/") in getattr(app, "optbridge_mappings", {}):
        context["secondary_sidebar_items"] = []


def link_example_to_its_page(app: Sphinx, doctree: nodes.document) -> None:
    """Under the title of a gallery example, a link to the mapping page that embeds it."""
    conf = getattr(app.config, "sphinx_gallery_conf", None) or {}
    gallery = conf.get("gallery_dirs", "")
    current = app.env.docname
    if not gallery or not current.startswith(f"{gallery}/") or app.builder.name == "gettext":
        return
    script = current.removeprefix(f"{gallery}/")
    language = site_language(app.config.language)
    for item in getattr(app, "optbridge_mappings", {}).values():
        if not any(example.script == script for example in item.mapping.examples):
            continue
        sides = {"source": item.mapping.source.api, "target": item.mapping.target.api}
        title = phrase("title", language, **sides)
        xref = addnodes.pending_xref("", refdomain="std", reftype="doc", refexplicit=True,
                                     reftarget=f"/{docname(item.slug)}")
        xref += nodes.inline(title, title)
        para = nodes.paragraph("", LABELS["mapping_page"][language], xref,
                               classes=["optbridge-mapping-link"])
        section = next(iter(doctree.findall(nodes.section)), None)
        if section is not None:
            section.insert(1, para)  # right under the title
        return


def from_docstring(source: str | None) -> bool:
    """Whether autodoc took a node from a docstring: it names the source ``<file>:docstring of
    <name>``, or only ``docstring of <name>`` when Sphinx cannot parse the module's file (its
    parser refuses, for one, an f-string inside a class body)."""
    source = source or ""
    return source.startswith("docstring of ") or ":docstring of " in source


class DocstringsStayEnglish(SphinxTransform):
    """The API reference's own prose (headings, introductions, the sentences around links) goes
    through the message catalogs; what autodoc takes from docstrings is the code's
    documentation: it stays as written, out of the catalogs (the code changes under it), and is
    marked ``optbridge-docstring`` so that a reader, and the tests, can tell it apart."""

    default_priority = 5  # before Sphinx translates paragraphs (priority 20)

    def apply(self, **kwargs: object) -> None:
        for node in self.document.findall(nodes.TextElement):
            if from_docstring(node.source):
                node["translatable"] = False
                node["classes"].append("optbridge-docstring")


class GalleryCaptionsTranslated(SphinxPostTransform):
    """The gallery index writes each card's caption as raw HTML, which the catalogs never see;
    give it the text of the card's link instead: the linked page's title, translated."""

    default_priority = 900  # after references are resolved
    formats = ("html",)
    CAPTION = re.compile(r'(<div class="sphx-glr-thumbnail-title">)(.*?)(</div>)', re.DOTALL)

    def run(self, **kwargs: object) -> None:
        title = None
        for node in list(self.document.findall(lambda n: isinstance(n, nodes.reference | nodes.raw))):
            if isinstance(node, nodes.reference):
                title = node.astext()
            elif title and "sphx-glr-thumbnail-title" in node.astext():
                caption = html.escape(title)
                text = self.CAPTION.sub(lambda m, c=caption: m[1] + c + m[3], node.astext())
                node.replace_self(nodes.raw("", text, format="html"))
                title = None


def copy_tables(app: Sphinx, exception: Exception | None) -> None:
    """The tables behind the mapping pages, as files of the site that "View source" opens."""
    if exception is not None or app.builder.name != "html":
        return
    target = Path(app.outdir) / TABLES_DIR
    for item in getattr(app, "optbridge_mappings", {}).values():
        destination = target / f"{item.slug}.toml"
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.path, destination)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", page_context)
    app.connect("html-page-context", widen_mapping_pages, priority=600)  # after the theme
    app.connect("doctree-read", link_example_to_its_page)
    app.connect("build-finished", copy_tables)
    app.add_transform(DocstringsStayEnglish)
    app.add_post_transform(GalleryCaptionsTranslated)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
