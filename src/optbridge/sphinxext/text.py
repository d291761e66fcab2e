"""Table text to docutils nodes: plain text, with `backticks` as inline code and nothing else.

Notes in the data files are never parsed as markup, so a note cannot inject HTML or directives.
"""

from __future__ import annotations

import re

from docutils import nodes

_CODE = re.compile(r"`([^`]+)`")


def inline(text: str) -> list[nodes.Node]:
    """``text`` as Text and literal nodes; docutils escapes everything on output."""
    out: list[nodes.Node] = []
    pos = 0
    for match in _CODE.finditer(text):
        if match.start() > pos:
            out.append(nodes.Text(text[pos : match.start()]))
        out.append(nodes.literal(match.group(1), match.group(1)))
        pos = match.end()
    if pos < len(text):
        out.append(nodes.Text(text[pos:]))
    return out


def paragraph(text: str) -> nodes.paragraph:
    return nodes.paragraph("", "", *inline(text))
