"""The fixed vocabularies of a mapping table and their labels in each site language."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping as MappingABC
from typing import Literal

from optbridge.frameworks import display_names

Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("en", "zh")



class _FrameworkNames(MappingABC[str, str]):
    """Read-only view of the framework registry: mapping key -> display name. Read on every
    access, so a framework registered at runtime is known at once."""

    def __getitem__(self, key: str) -> str:
        return display_names()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(display_names())

    def __len__(self) -> int:
        return len(display_names())


#: Frameworks a mapping can name, with their display names (from :mod:`optbridge.frameworks`).
#: The folder under ``docs/mappings/`` is the source framework's key.
FRAMEWORKS: MappingABC[str, str] = _FrameworkNames()

Category = Literal["parameter", "input", "state"]
CATEGORY_LABELS: dict[str, dict[Language, str]] = {
    "parameter": {"en": "Parameters", "zh": "参数"},
    "input": {"en": "Inputs", "zh": "输入"},
    "state": {"en": "State", "zh": "状态"},
}
SUBCATEGORY_LABELS: dict[str, dict[Language, str]] = {
    "parameter": {"en": "Parameter {n}", "zh": "参数{n}"},
    "input": {"en": "Input {n}", "zh": "输入{n}"},
    "state": {"en": "State {n}", "zh": "状态{n}"},
}

Difference = Literal[
    "consistent",
    "renamed",
    "default-differs",
    "renamed-default-differs",
    "source-only",
    "target-only",
    "behaviour-differs",
]
#: ``{source}``/``{target}`` are replaced by the frameworks' display names.
DIFFERENCE_LABELS: dict[str, dict[Language, str]] = {
    "consistent": {"en": "Consistent", "zh": "一致"},
    "renamed": {
        "en": "Consistent function, different parameter names",
        "zh": "功能一致，参数名不同",
    },
    "default-differs": {
        "en": "Consistent function, different default values",
        "zh": "功能一致，默认值不同",
    },
    "renamed-default-differs": {
        "en": "Consistent function, different parameter names and default values",
        "zh": "功能一致，参数名及默认值不同",
    },
    "source-only": {
        "en": "{target} does not have this parameter",
        "zh": "{target}无此参数",
    },
    "target-only": {
        "en": "{source} does not have this parameter",
        "zh": "{source}无此参数",
    },
    "behaviour-differs": {"en": "Different behaviour", "zh": "功能存在差异"},
}

#: Headings and fixed phrases of a rendered mapping page.
PHRASES: dict[str, dict[Language, str]] = {
    # Several pages share a source API: the title names both sides.
    "title": {"en": "Differences between {source} and {target}", "zh": "{source} 与 {target} 的差异"},
    "more_info": {"en": "For more information, see {link}.", "zh": "更多内容详见{link}。"},
    "checked_against": {"en": "checked against {version}", "zh": "核对版本：{version}"},
    "differences": {"en": "Differences", "zh": "差异对比"},
    "behaviour": {"en": "Behavioural differences", "zh": "行为差异"},
    "code_example": {"en": "Code Example", "zh": "代码示例"},
    "col_category": {"en": "Categories", "zh": "分类"},
    "col_subcategory": {"en": "Subcategories", "zh": "子类"},
    "col_difference": {"en": "Difference", "zh": "差异"},
    "col_source_api": {"en": "{framework} APIs", "zh": "{framework} API"},
    "col_target_api": {"en": "Target APIs", "zh": "目标 API"},
    "col_description": {"en": "Description", "zh": "说明"},
    "diff_link": {"en": "diff", "zh": "差异对比"},
    "verified_title": {"en": "Verification", "zh": "验证"},
    "verified": {
        "en": "This build verified {passed} claims of this page. Names and defaults were "
        "compared with: {against}. Behaviour checks run on both sides: {checks}.",
        "zh": "本次构建验证了本页的 {passed} 项内容。参数名与默认值已对照：{against}。"
        "在两侧运行的行为检查：{checks}。",
    },
    "not_installed": {
        "en": "Not installed on the build machine, so not read live: {skipped}.",
        "zh": "构建环境未安装、因而未实时读取：{skipped}。",
    },
    "index_title": {"en": "{framework} API mappings", "zh": "{framework} API 映射"},
    "index_intro": {
        "en": "Optimizer APIs of {framework} and their counterparts. Each row links to its page.",
        "zh": "{framework} 的优化器 API 及其对应 API。每行链接到对应的差异对比页面。",
    },
    "matrix_title": {"en": "API mapping matrix", "zh": "API 映射总表"},
    "matrix_source": {"en": "Source API", "zh": "源 API"},
    "matrix_caption": {
        "en": "Rows: source APIs; columns: target frameworks. Each cell links to the mapping page.",
        "zh": "行：源 API；列：目标框架。每个单元格链接到对应的映射页面。",
    },
}


def phrase(key: str, language: Language, **values: str) -> str:
    """A fixed phrase of the rendered pages in ``language``, with ``{placeholders}`` filled."""
    return PHRASES[key][language].format(**values)


def site_language(sphinx_language: str | None) -> Language:
    """Map Sphinx's ``language`` setting (``en``, ``zh_CN``) to a table language."""
    return "zh" if (sphinx_language or "en").lower().startswith("zh") else "en"
