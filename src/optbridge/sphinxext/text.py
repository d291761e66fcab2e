"""Table text to docutils nodes: plain text, `backticks` as inline code, and
``[words](ref:label)`` as a cross-reference to a label on another page; nothing else.

Notes in the data files are never parsed as markup, so a note cannot inject HTML or directives;
a reference names a label that Sphinx resolves, and Sphinx reports a label that does not exist.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes

_MARKUP = re.compile(r"`(?P<code>[^`]+)`|\[(?P<words>[^\]`]+)\]\(ref:(?P<label>[a-z0-9-]+)\)")


def reference(words: str, label: str) -> addnodes.pending_xref:
    """A link to the label ``label`` (``(label)=`` in a Markdown page) showing ``words``."""
    xref = addnodes.pending_xref("", refdomain="std", reftype="ref", reftarget=label,
                                 refexplicit=True, refwarn=True)
    xref += nodes.inline(words, words)
    return xref


def inline(text: str) -> list[nodes.Node]:
    """``text`` as Text, literal and reference nodes; docutils escapes everything on output."""
    out: list[nodes.Node] = []
    pos = 0
    for match in _MARKUP.finditer(text):
        if match.start() > pos:
            out.append(nodes.Text(text[pos : match.start()]))
        if match.group("code") is not None:
            out.append(nodes.literal(match.group("code"), match.group("code")))
        else:
            out.append(reference(match.group("words"), match.group("label")))
        pos = match.end()
    if pos < len(text):
        out.append(nodes.Text(text[pos:]))
    return out


def paragraph(text: str) -> nodes.paragraph:
    return nodes.paragraph("", "", *inline(text))


_OPENING, _CLOSING = "([{", ")]}"


def one_parameter_per_line(signature: str) -> str:
    """``f(a, b=(1, 2))`` as ``f(``, one indented parameter per line, ``)``: a long signature
    reads without scrolling and prints whole. Commas inside brackets or strings do not split;
    a signature without parameters, or with unbalanced brackets, is returned unchanged."""
    start = signature.find("(")
    if start < 0 or not signature.rstrip().endswith(")"):
        return signature
    inner = signature[start + 1 : signature.rstrip().rindex(")")]
    parameters, depth, quote, current = [], 0, "", ""
    for char in inner:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth -= 1
        elif char == "," and depth == 0:
            parameters.append(current.strip())
            current = ""
            continue
        current += char
    if depth or quote:
        return signature
    parameters.append(current.strip())
    parameters = [p for p in parameters if p]
    if not parameters:
        return signature
    head, tail = signature[: start + 1], signature.rstrip()[signature.rstrip().rindex(")") :]
    return head + "\n" + "".join(f"    {p},\n" for p in parameters) + tail
