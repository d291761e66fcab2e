"""``{port-comparison} <file>``: every framework's RMSprop and Rprop side by side.

Each cell links to the row of the mapping page that states and checks it (the rows carry
``row-<side>-<name>`` anchors); the defaults are read from those rows.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes

from optbridge.mappings.vocabulary import Language
from optbridge.port.comparison import COLUMNS, ComparisonError, default_text, load_comparison

from . import render
from .directives import MappingDirective
from .pages import docname
from .text import inline

HEADERS: dict[str, dict[Language, str]] = {
    "api": {"en": "API", "zh": "API"},
    "defaults": {"en": "Defaults", "zh": "默认值"},
    "eps": {"en": "Where eps sits", "zh": "eps 的位置"},
    "accumulator": {"en": "Accumulator starts at", "zh": "累加器初值"},
    "lr_momentum": {"en": "Learning rate and momentum", "zh": "学习率与动量"},
    "weight_decay": {"en": "Weight decay", "zh": "权重衰减"},
    "validation": {"en": "Validation", "zh": "参数检查"},
    "fused": {"en": "Fused variants", "zh": "融合版本"},
}


class PortComparison(MappingDirective):
    required_arguments = 1

    def link(self, page: str, side: str, name: str, text: str) -> nodes.reference:
        uri = self.env.app.builder.get_relative_uri(self.env.docname, docname(page))
        reference = nodes.reference("", "", refuri=f"{uri}#row-{side}-{name}")
        reference += inline(text)
        return reference

    def run(self) -> list[nodes.Node]:
        if self.skip():
            return []
        relative, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(relative)
        try:
            data = load_comparison(Path(path), self.mappings)
        except ComparisonError as exc:
            raise self.error("\n".join(exc.problems)) from None
        self.depend_on(list(self.mappings.values()))
        language = self.language
        rows = []
        for row in data.row:
            defaults = nodes.paragraph()
            for n, (text, name) in enumerate(default_text(row, self.mappings)):
                if n:
                    defaults += nodes.Text(", ")
                defaults += self.link(row.defaults.page, row.defaults.side, name, f"`{text}`")
            cells = [render.cell(nodes.paragraph("", "", nodes.literal(row.api, row.api))),
                     render.cell(defaults)]
            for column in COLUMNS:
                cell = getattr(row, column)
                if cell is None:
                    cells.append(render.text_cell("-"))
                    continue
                para = nodes.paragraph()
                para += self.link(cell.page, cell.side, cell.name, cell[language])
                cells.append(render.cell(para))
            rows.append(cells)
        headers = [HEADERS[key][language] for key in ("api", "defaults", *COLUMNS)]
        comparison = render.table(headers, rows, widths=[13, 15, 12, 10, 12, 12, 13, 13])
        # Eight columns of code are wider than a desktop column: the table scrolls sideways
        # and optbridge.css keeps this class's API column in view while it does.
        comparison["classes"].append("optbridge-comparison")
        return [comparison]
