"""Chinese search that works in Sphinx 9.0.

Sphinx 9.0's Chinese search ships the English stemmer's script but makes the page look for a
``ChineseStemmer``, so every zh page throws and search finds nothing (sphinx-doc/sphinx#14229).
Naming the language "English" for the stemmer lookup fixes the script; jieba still segments the
Chinese text.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.search.zh import SearchChinese


class SearchChineseWithEnglishStemmer(SearchChinese):
    language_name = "English"  # the JS stemmer is english-stemmer.js's EnglishStemmer


def setup(app: Sphinx) -> dict[str, bool]:
    app.add_search_language(SearchChineseWithEnglishStemmer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
