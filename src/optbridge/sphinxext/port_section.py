"""The "Port it" section of a mapping page, from the table's ``[port]`` recipe.

Shows the source program and its port (both complete; the same scripts
``python -m optbridge.port.real`` runs on the real frameworks), the caveats with the condition
under which each applies, the gap the simulation measured (checked by ``make test``) and the
gap recorded from the runs of both scripts, each said to be what its record says ran
(:mod:`.runs`). Table and record text only reaches the page as docutils text or literal nodes,
which the writer escapes.
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
from optbridge.port.page import example, real_record, record_path, scripts, verdict

from .render import SectionFactory
from .runs import RecordError, gap_words, isa_code, not_run_why, run_of
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
              "`w = {start}`, {gap}.",
        "zh": "在模拟上实测：从 `w = {start}` 出发，在 `{problem}` 上运行 {steps} 步后，{gap}。",
    },
    "near_eps": {
        "en": " Where the gradients are within 100× of eps, the first update differs by up to "
              "{near}.",
        "zh": " 梯度与 eps 相差在 100 倍以内时，第一次更新最多相差 {near}。",
    },
    "ran_gap": {
        "en": "Both scripts run by `{command}` on {date} (instruction set {isa}), the {source} "
              "script on {source_run} and the {target} script on {target_run}: {gap}.",
        "zh": "{date} 由 `{command}` 运行两个脚本（指令集 {isa}），{source} 脚本运行于{source_run}，"
              "{target} 脚本运行于{target_run}：{gap}。",
    },
    "not_run": {
        "en": "No gap from runs of both scripts: {why}.",
        "zh": "没有两个脚本都运行后的差距：{why}。",
    },
    "side_not_run": {"en": "the {shown} script was not run, because {why}",
                     "zh": "{shown} 脚本未运行，因为{why}"},
    "not_yet_run": {
        "en": "The scripts have not been run yet: {why}.",
        "zh": "这两个脚本尚未运行：{why}。",
    },
    "alternative_gap": {
        "en": "Run the same way, `{api}` on {run} against the {source} script on {source_run}: "
              "{gap}. The simulation has no counterpart of it, so this gap is only the "
              "recorded one.",
        "zh": "以同样方式运行，`{api}` 运行于{run}，与运行于{source_run}的 {source} 脚本相比：{gap}。"
              "模拟中没有它的对应实现，因此该差距仅来自运行记录。",
    },
    "alternative_missing": {
        "en": "`{api}` has not been run yet (run `python -m optbridge.port.real`).",
        "zh": "`{api}` 尚未运行（请运行 `python -m optbridge.port.real`）。",
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
                       start=start, gap=gap_words(port.gap.weights, language))
    if port.gap.near_eps is not None and port.gap.near_eps > NEAR_EPS_EXACT:
        gap_text += _phrase("near_eps", language, near=f"{port.gap.near_eps:.0%}")
    section += paragraph(gap_text)
    section += paragraph(_runs_text(item, records, language, source, target))
    record, stale = real_record(item, records)
    where = str(record_path(item.slug, records))
    for i, (alternative, code) in enumerate(zip(port.alternatives, pair.alternatives,
                                                strict=True)):
        section += paragraph(alternative.text[language])
        section += nodes.literal_block(code.text, code.text, language="python")
        ran = None if record is None or stale else record.get(f"alternative{i}", {})
        if ran and ran.get("weights_gap") is not None:
            assert record is not None
            section += paragraph(_phrase(
                "alternative_gap", language, api=alternative.api, source=source,
                run=run_of(ran, f"{where}: alternative{i}").words(target, language),
                source_run=run_of(record["source"], f"{where}: source").words(source, language),
                gap=gap_words(ran["weights_gap"], language)))
        else:
            section += paragraph(_phrase("alternative_missing", language, api=alternative.api))
    return section


def _runs_text(item: MappingFile, records: Path, language: Language, source: str,
               target: str) -> str:
    command = f"python -m optbridge.port.real --only {item.slug}"
    record, stale = real_record(item, records)
    if record is None:
        return _phrase("not_yet_run", language,
                       why=_phrase("no_record", language, command=command))
    if stale:
        return _phrase("not_yet_run", language,
                       why=_phrase("stale", language, command=command))
    where = str(record_path(item.slug, records))
    shown = {"source": source, "target": target}
    if record.get("weights_gap") is None:
        missing = [_phrase("side_not_run", language, shown=shown[name],
                           why=not_run_why(record[name]["style"], language, f"{where}: {name}"))
                   for name in shown if not record[name].get("ran")]
        if not missing:
            raise RecordError(f"{where}: field 'weights_gap' is null, but both scripts ran")
        separator = "；" if language == "zh" else "; "
        return _phrase("not_run", language, why=separator.join(missing))
    runs = {name: run_of(record[name], f"{where}: {name}").words(shown[name], language)
            for name in shown}
    return _phrase(
        "ran_gap", language, source=source, target=target, source_run=runs["source"],
        target_run=runs["target"], date=record["date"], command=record["command"],
        isa=isa_code(record, where), gap=gap_words(record["weights_gap"], language),
    )
