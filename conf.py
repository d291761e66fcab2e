"""Sphinx configuration for both site languages.

Build one language per run (``make html`` does both):
``sphinx-build -c . -D language=zh_CN docs build/html/zh_CN``. Sources are under ``docs/``;
pages generated from ``docs/mappings/*/*.toml`` land in ``docs/migration/`` (git-ignored).
"""

from __future__ import annotations

from pathlib import Path

import optbridge

HERE = Path(__file__).resolve().parent

project = "optbridge"
author = "optbridge developers"
copyright = "2026, optbridge developers"
release = version = optbridge.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx_design",
    "sphinx_copybutton",
    "optbridge.sphinxext",
    "optbridge.sphinxext.mathml",
    "optbridge.sphinxext.search_zh",
    "optbridge.sphinxext.site",
    "optbridge.sphinxext.figures",
    "sphinx_gallery.gen_gallery",
]
# Formulas become MathML at build time: no MathJax download, no script.
html_math_renderer = "mathml"

optbridge_mappings_dir = "docs/mappings"
optbridge_native_dir = "examples/native"  # the native snippets, run by `make frameworks`

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}  # the gallery writes .rst
root_doc = "index"
exclude_patterns = ["mappings/**", "_build", "**/README.md"]
templates_path = ["docs/_templates"]
html_static_path = ["docs/_static"]
html_css_files = ["optbridge.css"]
html_js_files = [("optbridge.js", {"defer": "defer"})]
html_favicon = "docs/_static/favicon.svg"

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Translations: prose pages through gettext catalogs under docs/locale/zh_CN/LC_MESSAGES.
language = "en"
locale_dirs = ["locale/"]
gettext_compact = False
gettext_uuid = False
gettext_location = False

autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_numpy_docstring = True
napoleon_google_docstring = False

# The gallery runs once per `make html`: the English build executes what is out of date (an
# example, the library or the device changed: see optbridge.sphinxext.gallery) and the Chinese
# build reuses those results, translating the prose through the catalogs.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # examples/native/ holds the native snippets: run on the real frameworks by
    # `make frameworks`, shown on the mapping pages, never executed by the gallery.
    "ignore_pattern": r"__init__\.py|/native/",
    "run_stale_examples": False,
    "abort_on_example_error": False,  # run them all, then fail naming every broken one
    "write_computation_times": False,  # docs/computation-times.md shows them, offline
    "min_reported_time": 0,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    # matplotlib's scraper, plus the Chinese twin of each figure (optbridge.sphinxext.figures).
    "image_scrapers": ("optbridge.sphinxext.figures.scraper",),
    "reset_modules": ("matplotlib",),
    "promote_jupyter_magic": False,
    "show_signature": False,
}

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True

html_theme = "pydata_sphinx_theme"
html_title = "optbridge"
html_theme_options = {
    "navbar_end": ["language-switcher", "theme-switcher"],
    "navbar_align": "left",
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_center": ["optbridge-versions"],
    "footer_end": ["sphinx-version"],
    # Mapping pages drop it for the width of their tables (optbridge.sphinxext.site).
    "secondary_sidebar_items": ["page-toc"],
    "article_header_end": ["optbridge-source"],
}
html_sidebars = {"**": ["sidebar-nav-bs"]}
# Without a stored choice the theme would log "invalid theme mode" on a reader's first visit.
html_context = {"default_mode": "auto"}
html_last_updated_fmt = None
# Mapping pages first in the results; Chinese queries stemmed as the Chinese index is.
html_search_scorer = "docs/_templates/search-scorer.js"
# Chinese search terms: jieba keeps them whole; English mapping pages are indexed under them.
optbridge_search_terms_zh = "docs/search-terms.zh.txt"
html_show_sourcelink = False
html_copy_source = False


def _per_language(app, config) -> None:
    """Settings that follow ``-D language=...``: Chinese search segments words with jieba."""
    if (config.language or "en").startswith("zh"):
        config.html_search_language = "zh"
        config.html_theme_options = {**config.html_theme_options, "header_dropdown_text": "更多"}
        # jieba's own dictionary splits 学习率 into 学习 + 率; our terms keep them whole.
        config.html_search_options = {"dict": str(HERE / config.optbridge_search_terms_zh)}


def setup(app) -> None:
    app.connect("config-inited", _per_language)
