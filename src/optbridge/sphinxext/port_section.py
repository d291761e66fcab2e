"""The "Port it" section of a mapping page, from the table's ``[port]`` recipe.

Shows the source program and its port (both complete; the same scripts
``python -m optbridge.port.real`` runs on the real frameworks), the caveats with the condition
under which each applies, the gap the simulation measured (checked by ``make test``) and the
gap recorded from the real frameworks. Table text only reaches the page as docutils text or
literal nodes, which the writer escapes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes

from optbridge.mappings import MappingFile
from optbridge.mappings.port_schema import PortText
from optbridge.mappings.vocabulary import FRAMEWORKS, Language
from optbridge.port.frameworks import START
from optbridge.port.measure import NEAR_EPS_EXACT
from optbridge.port.page import example, real_record, scripts, verdict

from .render import SectionFactory
from .text import paragraph

PHRASES: dict[str, dict[Language, str]] = {
    "title": {"en": "Port it", "zh": "移植"},
    "exact": {
        "en": "The {target} code below reproduces {source}'s run to float32 rounding.",
        "zh": "下面的 {target} 代码可以在 float32 舍入误差内复现 {source} 的结果。",
    },
    "approximate": {
        "en": "The {target} code below comes as close to {source} as {target} allows; what "
              "cannot be matched is listed under it, with the measured gap.",
        "zh": "下面的 {target} 代码在 {target} 允许的范围内尽量接近 {source}；无法对齐之处及实测差距列在其后。",
    },
    "impossible": {
        "en": "{target} cannot reproduce this {source} configuration; the code below is the "
              "closest, with the reasons under it.",
        "zh": "{target} 无法复现该 {source} 配置；下面是最接近的代码，原因列在其后。",
    },
    "source_code": {"en": "The {source} program:", "zh": "{source} 程序："},
    "target_code": {"en": "Its port to {target}:", "zh": "移植到 {target}："},
    "caveats": {"en": "What to know:", "zh": "注意事项："},
    "always": {"en": "Always", "zh": "始终"},
    "when": {"en": "When {condition}", "zh": "当 {condition} 时"},
    "scheduler_note": {
        "en": " (`scheduler`: the script builds a learning-rate scheduler)",
        "zh": "（`scheduler`：脚本中构造了学习率调度器）",
    },
    "unmatched": {"en": "When `{name}` is not {default}", "zh": "当 `{name}` 不为 {default} 时"},
    "ignored": {"en": "When `{name}` is passed", "zh": "当传入 `{name}` 时"},
    "cannot": {"en": "cannot be ported: ", "zh": "无法移植："},
    "sim_gap": {
        "en": "Measured on the simulation: after {steps} steps on `{problem}` from "
              "`w = {start}` the weights differ by at most {weights}.",
        "zh": "在模拟上实测：从 `w = {start}` 出发，在 `{problem}` 上运行 {steps} 步后，权重最多相差 {weights}。",
    },
    "near_eps": {
        "en": " Where the gradients are within 100× of eps, the first update differs by up to "
              "{near}.",
        "zh": " 梯度与 eps 相差在 100 倍以内时，第一次更新最多相差 {near}。",
    },
    "real_gap": {
        "en": "On the real frameworks ({source} {source_version}, {target} {target_version}; "
              "recorded {date} by `{command}`) the weights differ by at most {weights}.",
        "zh": "在真实框架上（{source} {source_version}、{target} {target_version}；{date} 由 "
              "`{command}` 记录），权重最多相差 {weights}。",
    },
    "real_missing": {
        "en": "Not yet run on the real frameworks: {why}.",
        "zh": "尚未在真实框架上运行：{why}。",
    },
    "alternative_gap": {
        "en": "Run on the real MindSpore {version} against the real source run, `{api}` ends "
              "with weights that differ by at most {weights}. The simulation has no counterpart "
              "of it, so this figure is only the recorded one.",
        "zh": "在真实的 MindSpore {version} 上与真实的源框架运行相比，`{api}` 最终权重最多相差 "
              "{weights}。模拟中没有它的对应实现，因此该数字仅来自运行记录。",
    },
    "alternative_missing": {
        "en": "`{api}` has not been run on the real framework yet (run `python -m "
              "optbridge.port.real`).",
        "zh": "`{api}` 尚未在真实框架上运行（请运行 `python -m optbridge.port.real`）。",
    },
    "stale": {
        "en": "the scripts changed since the last run (run `{command}`)",
        "zh": "脚本自上次运行后已修改（请运行 `{command}`）",
    },
    "no_record": {"en": "no record (run `{command}`)", "zh": "没有记录（请运行 `{command}`）"},
}
PROBLEMS = {"quadratic": "loss = sum(w * w)", "sign_flip": "loss = sum(w * c_t), c_t flipping sign"}


def _phrase(key: str, language: Language, **values: Any) -> str:
    return PHRASES[key][language].format(**values)


def _item(condition: str, text: str, language: Language, prefix: str = "") -> nodes.list_item:
    separator = "：" if language == "zh" else ": "
    return nodes.list_item("", paragraph(f"{condition}{separator}{prefix}{text}"))


def _caveat_list(item: MappingFile, language: Language) -> nodes.bullet_list:
    port = item.mapping.port
    assert port is not None
    bullets = nodes.bullet_list()
    for caveat in port.caveats:
        condition = (
            _phrase("always", language) if caveat.when == "True"
            else _phrase("when", language, condition=f"`{caveat.when}`")
            + (_phrase("scheduler_note", language) if "scheduler" in caveat.when else "")
        )
        prefix = _phrase("cannot", language) if caveat.impossible else ""
        bullets += _item(condition, caveat.text[language], language, prefix)
    defaults = {r.source: r.source_default for r in item.mapping.parameters if r.source}
    reasons: list[tuple[str, PortText, str]] = [
        (_phrase("unmatched", language, name=name, default=f"`{defaults.get(name)}`"), text,
         _phrase("cannot", language))
        for name, text in port.unmatched.items()
    ]
    reasons += [(_phrase("ignored", language, name=name), text, "")
                for name, text in port.ignored.items()]
    for condition, text, prefix in reasons:
        bullets += _item(condition, text[language], language, prefix)
    return bullets


def _number(value: float) -> str:
    return "0" if value == 0 else f"{value:.2g}"


def port_section(item: MappingFile, language: Language, make_section: SectionFactory,
                 records: Path) -> nodes.section:
    mapping = item.mapping
    port = mapping.port
    assert port is not None
    source, target = FRAMEWORKS[mapping.source.framework], FRAMEWORKS[mapping.target.framework]
    ported = example(mapping)
    section = make_section(_phrase("title", language), _phrase("title", "en"))
    kind = verdict(ported, port.gap.weights, port.gap.near_eps)
    section += paragraph(_phrase(kind, language, source=source, target=target))
    pair = scripts(mapping)
    for key, code in (("source_code", pair.source.text), ("target_code", pair.target.text)):
        section += paragraph(_phrase(key, language, source=source, target=target))
        section += nodes.literal_block(code, code, language="python")
    section += paragraph(_phrase("caveats", language))
    section += _caveat_list(item, language)
    start = "(" + ", ".join(f"{v:g}" for v in START) + ")"
    gap_text = _phrase("sim_gap", language, steps=port.steps, problem=PROBLEMS[port.problem],
                       start=start, weights=_number(port.gap.weights))
    if port.gap.near_eps is not None and port.gap.near_eps > NEAR_EPS_EXACT:
        gap_text += _phrase("near_eps", language, near=f"{port.gap.near_eps:.0%}")
    section += paragraph(gap_text)
    section += paragraph(_real_text(item, records, language, source, target))
    record, stale = real_record(item, records)
    for i, (alternative, code) in enumerate(zip(port.alternatives, pair.alternatives,
                                                strict=True)):
        section += paragraph(alternative.text[language])
        section += nodes.literal_block(code.text, code.text, language="python")
        ran = None if record is None or stale else record.get(f"alternative{i}", {})
        if ran and ran.get("weights_gap") is not None:
            section += paragraph(_phrase("alternative_gap", language, api=alternative.api,
                                         version=ran["version"],
                                         weights=_number(ran["weights_gap"])))
        else:
            section += paragraph(_phrase("alternative_missing", language, api=alternative.api))
    return section


def _real_text(item: MappingFile, records: Path, language: Language, source: str,
               target: str) -> str:
    command = f"python -m optbridge.port.real --only {item.slug}"
    record, stale = real_record(item, records)
    if record is None:
        return _phrase("real_missing", language,
                       why=_phrase("no_record", language, command=command))
    if stale:
        return _phrase("real_missing", language,
                       why=_phrase("stale", language, command=command))
    if record.get("weights_gap") is None:
        why = "; ".join(side.get("why", "") for side in (record["source"], record["target"])
                        if not side.get("ran"))
        return _phrase("real_missing", language, why=why)
    return _phrase(
        "real_gap", language, source=source, target=target,
        source_version=record["source"]["version"], target_version=record["target"]["version"],
        date=record["date"], command=record["command"], weights=_number(record["weights_gap"]),
    )
