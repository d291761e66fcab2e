"""Docutils nodes for a mapping page, a framework index and the overall matrix, in one language."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from docutils import nodes
from sphinx import addnodes

from optbridge.mappings import Mapping, MappingFile
from optbridge.mappings.schema import Api, ParameterRow
from optbridge.mappings.vocabulary import (
    CATEGORY_LABELS,
    DIFFERENCE_LABELS,
    FRAMEWORKS,
    SUBCATEGORY_LABELS,
    Language,
    phrase,
)

from .pages import docname
from .text import one_parameter_per_line, paragraph

#: Makes a section with a unique id from (title, English title); supplied by the directive,
#: which owns the document.
SectionFactory = Callable[[str, str], nodes.section]


def doc_link(target_docname: str, text: str) -> addnodes.pending_xref:
    """A link to another page that Sphinx resolves (and reports if broken)."""
    xref = addnodes.pending_xref(
        "", refdomain="std", reftype="doc", reftarget=f"/{target_docname}", refexplicit=True
    )
    xref += nodes.inline(text, text)
    return xref


def table(
    headers: Sequence[str], rows: Sequence[Sequence[nodes.entry]], widths: Sequence[int]
) -> nodes.table:
    """A docutils table; cells are ready-made entries (so they can span rows)."""
    tgroup = nodes.tgroup(cols=len(headers))
    for width in widths:
        tgroup += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += nodes.row("", *(nodes.entry("", nodes.paragraph(text=h)) for h in headers))
    tgroup += head
    body = nodes.tbody()
    for row in rows:
        body += nodes.row("", *row)
    tgroup += body
    # Without "colwidths-given" the HTML writer drops the widths and splits columns evenly.
    return nodes.table("", tgroup, classes=["optbridge-table", "colwidths-given"])


def cell(*children: nodes.Node, morerows: int = 0) -> nodes.entry:
    entry = nodes.entry("", *children)
    if morerows:
        entry["morerows"] = morerows
    return entry


def text_cell(text: str) -> nodes.entry:
    return cell(paragraph(text))


def code_cell(name: str | None, default: str | None) -> nodes.entry:
    if name is None:
        return text_cell("-")
    para = nodes.paragraph("", "", nodes.literal(name, name))
    if default is not None:
        shown = "=" + default
        para += nodes.literal(shown, shown)
    return cell(para)


def api_section(api: Api, language: Language, make_section: SectionFactory) -> nodes.section:
    section = make_section(api.api, api.api)
    shown = one_parameter_per_line(api.signature)
    section += nodes.literal_block(shown, shown, language="python")
    url = str(api.doc_url_zh if language == "zh" and api.doc_url_zh else api.doc_url)
    link = nodes.reference(url, api.api, refuri=url)
    para = nodes.paragraph()
    before, after = phrase("more_info", language, link="\0").split("\0")
    para += nodes.Text(before)
    para += link
    para += nodes.Text(after + " ")
    version = f"{FRAMEWORKS[api.framework]} {api.version}"
    para += nodes.emphasis(text=f"({phrase('checked_against', language, version=version)})")
    section += para
    return section


def difference_text(row: ParameterRow, mapping: Mapping, language: Language) -> str:
    label = DIFFERENCE_LABELS[row.difference][language].format(
        source=FRAMEWORKS[mapping.source.framework], target=FRAMEWORKS[mapping.target.framework]
    )
    separator = "：" if language == "zh" else ": "
    return f"{label}{separator}{row.note[language]}"


def row_ids(row: ParameterRow) -> list[str]:
    """Anchors of a parameter row: ``row-source-<name>`` and ``row-target-<name>``."""
    return [f"row-{side}-{getattr(row, side)}" for side in ("source", "target")
            if getattr(row, side) is not None]


def parameter_table(mapping: Mapping, language: Language) -> nodes.table:
    source_name = FRAMEWORKS[mapping.source.framework]
    target_name = FRAMEWORKS[mapping.target.framework]
    headers = [
        phrase("col_category", language),
        phrase("col_subcategory", language),
        source_name,
        target_name,
        phrase("col_difference", language),
    ]
    rows: list[list[nodes.entry]] = []
    categories = [c for c in CATEGORY_LABELS if any(r.category == c for r in mapping.parameters)]
    for category in categories:
        members = [r for r in mapping.parameters if r.category == category]
        for n, row in enumerate(members, start=1):
            cells = []
            if n == 1:
                cells.append(
                    cell(paragraph(CATEGORY_LABELS[category][language]), morerows=len(members) - 1)
                )
            label = text_cell(SUBCATEGORY_LABELS[category][language].format(n=n))
            label["ids"] += row_ids(row)  # link targets of the comparison page's cells
            cells += [
                label,
                code_cell(row.source, row.source_default),
                code_cell(row.target, row.target_default),
                cell(paragraph(difference_text(row, mapping, language))),
            ]
            rows.append(cells)
    return table(headers, rows, widths=[13, 13, 17, 17, 40])


def mapping_body(
    item: MappingFile, language: Language, make_section: SectionFactory
) -> list[nodes.Node]:
    """Everything of a mapping page below its title."""
    mapping = item.mapping
    out: list[nodes.Node] = [paragraph(mapping.summary[language])]
    out.append(api_section(mapping.source, language, make_section))
    out.append(api_section(mapping.target, language, make_section))
    differences = make_section(phrase("differences", language), phrase("differences", "en"))
    differences += parameter_table(mapping, language)
    out.append(differences)
    if mapping.differences:
        behaviour = make_section(phrase("behaviour", language), phrase("behaviour", "en"))
        for diff in mapping.differences:
            sub = make_section(diff.title[language], diff.title["en"])
            sub += paragraph(diff.text[language])
            behaviour += sub
        out.append(behaviour)
    return out


def index_table(items: Sequence[MappingFile], language: Language) -> nodes.table:
    """One row per mapping of a source framework: source API, target API, description + link."""
    framework = FRAMEWORKS[items[0].mapping.source.framework]
    headers = [
        phrase("col_source_api", language, framework=framework),
        phrase("col_target_api", language),
        phrase("col_description", language),
    ]
    rows = []
    for item in items:
        m = item.mapping
        description = paragraph(m.summary[language] + " ")
        description += doc_link(docname(item.slug), phrase("diff_link", language))
        rows.append(
            [
                cell(nodes.paragraph("", "", nodes.literal(m.source.api, m.source.api))),
                cell(nodes.paragraph("", "", nodes.literal(m.target.api, m.target.api))),
                cell(description),
            ]
        )
    return table(headers, rows, widths=[28, 28, 44])


def matrix_table(items: Sequence[MappingFile], language: Language) -> nodes.table:
    """Source APIs against target frameworks; each cell links the mapping page."""
    targets = [f for f in FRAMEWORKS if any(i.mapping.target.framework == f for i in items)]
    sources: dict[str, dict[str, list[MappingFile]]] = {}
    for item in items:
        row = sources.setdefault(item.mapping.source.api, {})
        row.setdefault(item.mapping.target.framework, []).append(item)
    headers = [phrase("matrix_source", language)] + [FRAMEWORKS[t] for t in targets]
    rows = []
    for source_api in sorted(sources, key=str.lower):
        cells = [cell(nodes.paragraph("", "", nodes.literal(source_api, source_api)))]
        for target in targets:
            para = nodes.paragraph()
            for n, item in enumerate(sources[source_api].get(target, [])):
                if n:
                    para += nodes.Text(", ")
                para += doc_link(docname(item.slug), item.mapping.target.api)
            cells.append(cell(para) if len(para) else text_cell("-"))
        rows.append(cells)
    width = 100 // (len(targets) + 1)
    return table(headers, rows, widths=[width] * (len(targets) + 1))

