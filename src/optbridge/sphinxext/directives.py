"""The site's directives, each rendering one kind of content and nothing else: a mapping page,
a framework's mapping index, the mapping matrix, and the examples' timings."""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from optbridge.mappings import MappingFile
from optbridge.mappings.vocabulary import FRAMEWORKS, Language, phrase, site_language

from . import render
from .gallery import recorded_times
from .text import inline, paragraph


class MappingDirective(SphinxDirective):
    """Shared plumbing: the loaded tables, the page language, sections with unique ids."""

    has_content = False

    @property
    def language(self) -> Language:
        return site_language(self.config.language)

    @property
    def mappings(self) -> dict[str, MappingFile]:
        return self.env.app.optbridge_mappings  # loaded once per build, in builder-inited

    def skip(self) -> bool:
        # The message catalogs are for hand-written prose; table text is translated in the tables.
        return self.env.app.builder.name == "gettext"

    def make_section(self, title: str, anchor: str | None = None) -> nodes.section:
        """A section titled ``title``; its id comes from ``anchor`` (the English title) when
        given, so that a link to a section works in every language."""
        section = nodes.section()
        section += nodes.title(title, "", *inline(title))
        section["names"].append(nodes.fully_normalize_name(anchor or title))
        self.state.document.note_implicit_target(section, section)
        return section

    def depend_on(self, items: list[MappingFile]) -> None:
        for item in items:
            self.env.note_dependency(str(item.path.resolve()))


class MappingPage(MappingDirective):
    """``{mapping-page} <framework>/<name>``: a whole mapping page."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        if self.skip():
            return []
        item = self.mappings.get(self.arguments[0])
        if item is None:
            raise self.error(f"no mapping data file for {self.arguments[0]!r}")
        self.depend_on([item])
        sides = {"source": item.mapping.source.api, "target": item.mapping.target.api}
        page = self.make_section(
            phrase("title", self.language, **sides), phrase("title", "en", **sides)
        )
        page += render.mapping_body(item, self.language, self.make_section)
        page += self.verification_section(item)
        page += self.native_section(item)
        if item.mapping.port is not None:
            page += self.port_section(item)
        return [page]

    def native_section(self, item: MappingFile) -> list[nodes.section]:
        """Both native snippets with their real runs, the figure, and a link to the gallery
        example that explores the same mapping on PyTorch; none when ``optbridge_native_dir``
        is empty (a site without native snippets)."""
        if not self.config.optbridge_native_dir:
            return []
        from optbridge.native import SnippetError

        from . import native
        from .pages import GENERATED_DIR

        root = Path(self.env.app.confdir) / self.config.optbridge_native_dir
        # Unique file names: Sphinx copies every image into one folder, and two source
        # frameworks can have tables of the same name.
        folder, stem = item.slug.split("/")
        figure = f"{GENERATED_DIR}/{folder}/{folder}-{stem}.native.{self.language}.svg"
        try:
            both = native.sides(item, root)
            svg = native.figure_svg(item, both, self.language)
            native.write_figure(Path(self.env.srcdir) / figure, svg)
            examples = item.mapping.examples
            gallery = (f"{self.config.sphinx_gallery_conf['gallery_dirs']}/{examples[0].script}"
                       if examples else None)
            text = native.native_markdown(item, both, self.language, f"/{figure}", gallery)
        except SnippetError as exc:
            raise self.error(str(exc)) from None
        for entry in both.values():
            for path in (entry.snippet.path, entry.snippet.path.parent / "simulation.toml",
                         entry.snippet.record_path):
                self.env.note_dependency(str(path))
        section = self.make_section(phrase("code_example", self.language),
                                    phrase("code_example", "en"))
        section += self.parse_text_to_nodes(text)
        return [section]

    def verification_section(self, item: MappingFile) -> nodes.section:
        """Run every claim of the page; a false one fails the build, true ones are listed."""
        # Imported here: the checks need torch, which a build that re-reads no mapping page
        # should not pay for.
        from optbridge.mappings.checks import check_mapping

        report = check_mapping(item, recorded=True)
        if report.failures:
            raise self.error("false claims:\n" + "\n".join(c.line() for c in report.failures))
        section = self.make_section(
            phrase("verified_title", self.language), phrase("verified_title", "en")
        )
        checks = ", ".join(f"`{name}`" for name in item.mapping.checks) or "-"
        section += paragraph(
            phrase(
                "verified",
                self.language,
                passed=str(len(report.claims) - len([c for c in report.claims if c.status == "skip"])),
                against="; ".join(f"`{label}`" for label in report.checked_against),
                checks=checks,
            )
        )
        skipped = [c.what.removeprefix("live signature of ") for c in report.claims
                   if c.status == "skip"]
        if skipped:
            section += paragraph(
                phrase("not_installed", self.language, skipped=", ".join(f"`{s}`" for s in skipped))
            )
        return section

    def port_section(self, item: MappingFile) -> nodes.section:
        from optbridge.port.page import RECORDS_IN_SOURCE, record_path

        from .port_section import port_section
        from .runs import RecordError

        records = Path(self.env.srcdir) / RECORDS_IN_SOURCE
        self.env.note_dependency(str(record_path(item.slug, records)))
        try:
            return port_section(item, self.language, self.make_section, records)
        except RecordError as exc:
            raise self.error(str(exc)) from None


class MappingIndex(MappingDirective):
    """``{mapping-index} <framework>``: the table of one source framework's mappings."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        if self.skip():
            return []
        framework = self.arguments[0]
        items = [i for i in self.mappings.values() if i.mapping.source.framework == framework]
        if not items:
            raise self.error(f"no mapping data files for source framework {framework!r}")
        self.depend_on(items)
        name = FRAMEWORKS[framework]
        page = self.make_section(
            phrase("index_title", self.language, framework=name),
            phrase("index_title", "en", framework=name),
        )
        page += paragraph(phrase("index_intro", self.language, framework=name))
        page += render.index_table(items, self.language)
        return [page]


class MappingMatrix(MappingDirective):
    """``{mapping-matrix}``: which source API maps to which target framework."""

    def run(self) -> list[nodes.Node]:
        if self.skip():
            return []
        items = list(self.mappings.values())
        self.depend_on(items)
        page = self.make_section(
            phrase("matrix_title", self.language), phrase("matrix_title", "en")
        )
        page += paragraph(phrase("matrix_caption", self.language))
        page += render.matrix_table(items, self.language)
        return [page]


class ExampleTimings(SphinxDirective):
    """``{example-timings}``: how long each gallery example ran in the build of this page.

    The times are data, not prose: rendered without a source, they stay out of the message
    catalogs (sphinx-gallery's own timing page would put every run's numbers in them).
    """

    def run(self) -> list[nodes.Node]:
        conf = self.config.sphinx_gallery_conf
        gallery = Path(self.env.srcdir) / conf["gallery_dirs"]
        times = recorded_times(gallery)
        for script in times:
            self.env.note_dependency(str(gallery / f"{script}.rst"))
        rows = [
            [
                render.cell(nodes.paragraph("", "", render.doc_link(
                    f"{conf['gallery_dirs']}/{script}", f"{script}.py"))),
                render.text_cell(f"{seconds:.2f}"),
            ]
            for script, seconds in sorted(times.items(), key=lambda kv: -kv[1])
        ]
        rows.append([render.text_cell("Σ"), render.text_cell(f"{sum(times.values()):.2f}")])
        return [render.table(["", "s"], rows, widths=[80, 20])]
