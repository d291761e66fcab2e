"""Search that finds the mapping pages, in both languages.

Sphinx 9.0's Chinese search ships the English stemmer's script but makes the page look for a
``ChineseStemmer``, so every zh page throws and search finds nothing (sphinx-doc/sphinx#14229).
Naming the language "English" for the stemmer lookup fixes the script; jieba still segments the
Chinese text. ``docs/_templates/search-scorer.js`` (``html_search_scorer``) ranks mapping pages
first and stems Chinese-page queries by the indexer's rule.

A reader may type a Chinese term (学习率) on the English site: each English mapping page gets an
index entry for every term of ``optbridge_search_terms_zh`` that its Chinese text uses, so the
search lists it (and the general index names it) under that term.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.search.zh import SearchChinese

from optbridge.mappings import MappingFile
from optbridge.mappings.vocabulary import (
    CATEGORY_LABELS,
    DIFFERENCE_LABELS,
    PHRASES,
    SUBCATEGORY_LABELS,
    site_language,
)

from .pages import GENERATED_DIR


class SearchChineseWithEnglishStemmer(SearchChinese):
    language_name = "English"  # the JS stemmer is english-stemmer.js's EnglishStemmer


def read_terms(path: Path) -> list[str]:
    """The words of a jieba user dictionary (``word [frequency [tag]]`` per line)."""
    return [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def chinese_text(item: MappingFile) -> str:
    """Everything the Chinese version of a mapping page says, as one string."""
    mapping = item.mapping
    parts = [mapping.summary["zh"]]
    for row in mapping.parameters:
        parts += [row.note["zh"], DIFFERENCE_LABELS[row.difference]["zh"],
                  CATEGORY_LABELS[row.category]["zh"], SUBCATEGORY_LABELS[row.category]["zh"]]
    for diff in mapping.differences:
        parts += [diff.title["zh"], diff.text["zh"]]
    parts += [labels["zh"] for labels in PHRASES.values()]
    return "\n".join(parts)


def index_chinese_terms(app: Sphinx, doctree: nodes.document) -> None:
    """On an English mapping page, an index entry per Chinese search term its zh version uses."""
    path = app.config.optbridge_search_terms_zh
    docname = app.env.docname
    if not path or site_language(app.config.language) != "en":
        return
    if not docname.startswith(f"{GENERATED_DIR}/"):
        return
    item = getattr(app, "optbridge_mappings", {}).get(docname.removeprefix(f"{GENERATED_DIR}/"))
    if item is None:  # an index page, not a mapping page
        return
    text = chinese_text(item)
    terms = [term for term in read_terms(Path(app.confdir) / path) if term in text]
    if terms:
        # "main" entries: the search lists them with the other results, not after them.
        doctree.append(addnodes.index(entries=[("single", t, "", "main", None) for t in terms]))


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_search_language(SearchChineseWithEnglishStemmer)
    # jieba dictionary of Chinese terms, relative to the configuration directory.
    app.add_config_value("optbridge_search_terms_zh", "", "env", types=[str])
    app.connect("doctree-read", index_chinese_terms)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
