"""The native code example of a mapping page: both snippets in synchronized tabs, each with the
output of its recorded run and what ran it, the install command, and one figure of the recorded
runs and our simulation. Every word about a run comes from its record (:mod:`.runs`).

Snippet code and outputs go into code fences longer than any backtick run inside them, so they
stay literal; everything else shown comes from the vocabulary or from record fields that
:func:`optbridge.native.load_record` and :func:`.runs.run_of` validated against a strict
pattern, escaped as literal Markdown (the instruction set as inline code).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optbridge.frameworks import registry
from optbridge.mappings import MappingFile
from optbridge.mappings.vocabulary import Language
from optbridge.native import NOT_EXECUTED, Snippet, SnippetError, discover, load_record
from optbridge.native.snippets import FRAMEWORKS_DIR, ROOT

from .runs import RecordError, Run, isa_code, run_of

PHRASES: dict[str, dict[Language, str]] = {
    "ran_on": {"en": "Ran on {run}, Python {python}, instruction set {isa}; recorded {date}.",
               "zh": "运行环境：{run}，Python {python}，指令集 {isa}；记录于 {date}。"},
    "output": {"en": "Output of that run:", "zh": "该次运行的输出："},
    "install": {"en": "Install", "zh": "安装"},
    "intro": {
        "en": "Both scripts train the same linear model from the same initial weights on the same "
              "seeded data, and print every step's loss and the final weights. Each is complete: "
              "copy it into a file and run it.",
        "zh": "两个脚本以相同的初始权重、在相同的随机种子数据上训练同一个线性模型，并打印每一步的损失"
              "和最终权重。每个脚本都是完整的：复制到文件中即可运行。",
    },
    "intro_ran": {
        "en": "`make frameworks` ran the {shown} script on {run} and recorded the output shown.",
        "zh": "`make frameworks` 在{run}上运行了 {shown} 脚本，并记录了下面显示的输出。",
    },
    "intro_not_run": {
        "en": "The {shown} script was not executed (its tab says why), so it has no recorded "
              "output.",
        "zh": "{shown} 脚本未运行（原因见其标签页），因此没有记录的输出。",
    },
    "figure": {
        "en": "Training loss per step: the recorded {kind} (solid lines) and our simulation "
              "with `optbridge.compat` (dashed, hollow markers), same data and configuration.",
        "zh": "每一步的训练损失：记录下的{kind}（实线）与我们用 `optbridge.compat` 的模拟（虚线、"
              "空心标记），数据和配置相同。",
    },
    "figure_simulation_only": {
        "en": "Training loss per step of our simulation with `optbridge.compat` (dashed, hollow "
              "markers).",
        "zh": "每一步的训练损失：我们用 `optbridge.compat` 的模拟（虚线、空心标记）。",
    },
    "real_runs": {"en": "real runs", "zh": "真实运行"},
    "runs": {"en": "runs", "zh": "运行"},
    "figure_which": {"en": " The recorded runs: {runs}.", "zh": "记录下的运行：{runs}。"},
    "figure_run": {"en": "{api} on {run}", "zh": "{api} 运行于{run}"},
    "run_separator": {"en": "; ", "zh": "；"},
    "figure_absent": {
        "en": " The {shown} script was not executed: the figure has no run of it, only our "
              "simulation.",
        "zh": "{shown} 脚本未运行：图中没有它的运行，只有我们的模拟。",
    },
    "figure_alt": {"en": "Training loss per step, recorded {kind} and simulation",
                   "zh": "每一步的训练损失：记录下的{kind}与模拟"},
    "figure_alt_simulation_only": {"en": "Training loss per step, simulation",
                                   "zh": "每一步的训练损失：模拟"},
    "explore": {"en": "Explore it on PyTorch", "zh": "在 PyTorch 上探索"},
    "explore_text": {
        "en": "The simulation, with more configurations and the differences isolated, "
              "runs on PyTorch alone:",
        "zh": "模拟（含更多配置，并逐项隔离差异）只需 PyTorch 即可运行：",
    },
    "npu_run": {"en": "Without an Ascend NPU, run it unchanged on the simulated NPU:",
                "zh": "没有昇腾 NPU 时，可在模拟 NPU 上原样运行："},
}
#: What a reader installs to run each framework's snippet (names of the record's packages).
INSTALL = {
    "torch": "pip install torch=={torch}",
    # torch-npu is released for each torch version (2.13.0 requires torch==2.13.0.*), and needs
    # Ascend's CANN toolkit on the machine.
    "torch_npu": "pip install torch=={torch} torch-npu=={torch}",
    "mindspore": "pip install mindspore=={mindspore} numpy=={numpy}",
    "keras": "pip install tensorflow-cpu=={tensorflow-cpu} keras=={keras}",
    "tf1": "pip install tensorflow-cpu=={tensorflow-cpu}",
    "optax": "pip install optax=={optax} jax=={jax} jaxlib=={jaxlib}",
    "paddle": "pip install paddlepaddle=={paddlepaddle}",
    "oneflow": "pip install oneflow",
}
#: A comment after the install command, in the page's language.
INSTALL_NOTES: dict[str, dict[Language, str]] = {
    "torch_npu": {"en": "with Ascend's CANN toolkit", "zh": "需要昇腾 CANN 工具包"},
    "oneflow": {"en": "wheels from OneFlow's own index; PyPI holds a placeholder",
                "zh": "从 OneFlow 自己的软件源安装；PyPI 上只有占位包"},
}
SAFE_VERSION = re.compile(r"^[0-9A-Za-z.+-]{1,40}$")


SIDES = ("source", "target")


def say(key: str, language: Language, **values: str) -> str:
    return PHRASES[key][language].format(**values)


def sentences(parts: list[str], language: Language) -> str:
    """Sentences one after the other: Chinese sets no space between them."""
    return ("" if language == "zh" else " ").join(parts)


def literal(text: str) -> str:
    """Record text as literal Markdown: every ASCII punctuation character escaped."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def code(text: str) -> str:
    """``text`` as inline code, in a fence longer than any backtick run inside it."""
    fence = _fence(text)
    return f"{fence} {text} {fence}" if "`" in text else f"`{text}`"


@dataclass(frozen=True)
class Side:
    snippet: Snippet
    record: dict[str, Any] | None  # None: not executed
    run: Run | None = None  # what ran, from the record
    isa: str | None = None  # the record's instruction set, as inline code

    @property
    def shown(self) -> str:
        """The framework the script is written for (its tab)."""
        return registry()[self.snippet.room].display_name


def sides(item: MappingFile, root: Path, records: Path = FRAMEWORKS_DIR) -> dict[str, Side]:
    """The source and target snippets of a mapping (under ``root``) with their records (under
    ``records``, the folder of the framework rooms); SnippetError if any snippet or record is
    missing or malformed."""
    snippets = {s.room: s for s in discover(root, records) if s.slug == item.slug}
    out = {}
    for side in ("source", "target"):
        framework = getattr(item.mapping, side).framework
        # Rooms of this side's framework (TensorFlow: keras, tf1); the folder holds one of them.
        mine = [s for room, s in snippets.items() if registry()[room].mapping_key == framework]
        if len(mine) != 1:
            raise SnippetError(f"{item.slug}: expected one snippet examples/native/{item.slug}/"
                               f"train_<room>.py for {framework}, found {len(mine)}")
        snippet = mine[0]
        if not snippet.executed:
            out[side] = Side(snippet, None)
            continue
        if not snippet.record_path.is_file():
            raise SnippetError(f"{snippet.relative}: no record: run make frameworks")
        record = load_record(snippet.record_path)
        where = (snippet.record_path.relative_to(ROOT).as_posix()
                 if snippet.record_path.is_relative_to(ROOT) else str(snippet.record_path))
        try:
            run = run_of(record, where, version="framework_version")
            out[side] = Side(snippet, record, run, isa_code(record, where))
        except RecordError as exc:
            raise SnippetError(f"{exc}: run make frameworks") from None
    return out


def install_command(room: str, record: dict[str, Any] | None, language: Language = "en") -> str:
    packages = record["packages"] if record else {}
    for name, version in packages.items():
        if not SAFE_VERSION.match(str(version)):
            raise SnippetError(f"{record and record['snippet']}: package {name!r} has a "
                               f"malformed version {version!r}")
    # A local version label (torch's ``+cpu``) names a build, not a release on PyPI.
    command = INSTALL[room].format_map({k: str(v).split("+")[0] for k, v in packages.items()})
    note = INSTALL_NOTES.get(room)
    return f"{command}  # {note[language]}" if note else command


def _fence(text: str, char: str = "`") -> str:
    """A code fence longer than any run of ``char`` inside ``text``."""
    longest = max((len(m) for m in re.findall(f"{re.escape(char)}+", text)), default=0)
    return char * max(3, longest + 1)


def _fenced(language: str, text: str) -> str:
    fence = _fence(text)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}\n"


def tab_markdown(side: str, entry: Side, language: Language) -> str:
    snippet, record = entry.snippet, entry.record
    parts = [f":::::{{tab-item}} {registry()[snippet.room].display_name}\n:sync: {side}\n",
             _fenced("python", snippet.path.read_text(encoding="utf-8"))]
    if record is None or entry.run is None or entry.isa is None:
        parts.append(":::{note}\n" + NOT_EXECUTED[snippet.room][language] + "\n:::\n")
    else:
        parts.append(say("output", language) + "\n")
        parts.append(_fenced("text", record["output"]))
        python = ".".join(record["python"].split(".")[:2])
        parts.append("*" + say("ran_on", language,
                               run=entry.run.words(entry.shown, language, literal),
                               python=literal(python), isa=entry.isa,
                               date=literal(record["date"])) + "*\n")
    parts.append(f"{say('install', language)}:\n")
    parts.append(_fenced("bash", install_command(snippet.room, record, language)))
    if snippet.room == "torch_npu":
        parts.append(say("npu_run", language) + "\n")
        parts.append(_fenced("bash", f"python -m optbridge.run {snippet.path.name}"))
    parts.append(":::::\n")
    return "\n".join(parts)


def intro(both: dict[str, Side], language: Language) -> str:
    """What the scripts do, and for each side what ran it (or that it did not run)."""
    parts = [say("intro", language)]
    for side in SIDES:
        entry = both[side]
        if entry.run is None:
            parts.append(say("intro_not_run", language, shown=entry.shown))
        else:
            parts.append(say("intro_ran", language, shown=entry.shown,
                             run=entry.run.words(entry.shown, language, literal)))
    return sentences(parts, language)


def caption(item: MappingFile, both: dict[str, Side], language: Language) -> tuple[str, str]:
    """The figure's caption and alt text: its recorded runs are called real only when every
    one of them is; otherwise the caption says what each was. A side that did not run is said
    to be absent from the figure."""
    recorded = [(getattr(item.mapping, side).api, both[side]) for side in SIDES
                if both[side].run is not None]
    if recorded:
        real = all(entry.run is not None and not entry.run.simulated for _, entry in recorded)
        kind = say("real_runs" if real else "runs", language)
        parts = [say("figure", language, kind=kind)]
        alt = say("figure_alt", language, kind=kind)
        if not real:
            runs = PHRASES["run_separator"][language].join(
                say("figure_run", language, api=code(api),
                    run=entry.run.words(entry.shown, language, literal))
                for api, entry in recorded if entry.run is not None)
            parts.append(say("figure_which", language, runs=runs))
    else:
        parts = [say("figure_simulation_only", language)]
        alt = say("figure_alt_simulation_only", language)
    parts += [say("figure_absent", language, shown=both[side].shown) for side in SIDES
              if both[side].run is None]
    return sentences(parts, language), alt


def native_markdown(item: MappingFile, both: dict[str, Side], language: Language,
                    figure: str | None, gallery_page: str | None) -> str:
    """MyST for the code example section body (below its heading)."""
    tabs = "\n".join(tab_markdown(side, both[side], language) for side in SIDES)
    parts = [intro(both, language) + "\n",
             "::::::{tab-set}\n:sync-group: mapping-side\n\n" + tabs + "::::::\n"]
    if figure:
        text, alt = caption(item, both, language)
        parts.append(f"```{{figure}} {figure}\n:class: optbridge-figure\n:alt: {alt}\n\n"
                     f"{text}\n```\n")
    if gallery_page:
        parts.append(f"**{say('explore', language)}.** {say('explore_text', language)} "
                     f"{{doc}}`/{gallery_page}`\n")
    return "\n".join(parts)


MARKERS = ["o", "s", "^", "D", "v", "P"]


#: The figure's words in each site language (API names stay as they are).
FIGURE_WORDS: dict[str, dict[Language, str]] = {
    "simulation": {"en": "optbridge simulation", "zh": "optbridge 模拟"},
    "step": {"en": "step", "zh": "步数"},
    "loss": {"en": "training loss", "zh": "训练损失"},
}


def figure_svg(item: MappingFile, both: dict[str, Side], language: Language = "en") -> str:
    """Loss per step of every recorded run (solid lines, filled markers; each labelled real or
    with what stood in, from its record) and of the simulation of each side (dashed, hollow
    markers), in ``language``. Curves that coincide stay visible: each
    series draws smaller markers than the one before, so every marker shows inside the previous
    one; the legend sits under the axes, outside the data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from optbridge.native.simulation import simulate
    from optbridge.plotting import cjk_font_family

    def word(key: str) -> str:
        return FIGURE_WORDS[key][language]

    series = []  # (label, losses, simulated)
    for side in SIDES:
        name = getattr(item.mapping, side).api
        ran, record = both[side].run, both[side].record
        if ran is None or record is None:
            continue
        for run in record["trajectory"]:
            label = f"{name} ({ran.legend(language)}{', ' + run['label'] if run['label'] else ''})"
            series.append((label, run["losses"], False))
    for side in SIDES:
        name = getattr(item.mapping, side).api
        series.append((f"{name} ({word('simulation')})",
                       simulate(both[side].snippet)["losses"], True))
    style = {"svg.hashsalt": "optbridge"}  # the same figure gives the same file
    if language == "zh":
        style.update({"font.family": [cjk_font_family(), "DejaVu Sans"],
                      "axes.unicode_minus": False})
    with plt.rc_context(style):
        fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
        for n, (label, losses, simulated) in enumerate(series):
            size = 14 - 9 * n / max(1, len(series) - 1)
            ax.plot(range(1, len(losses) + 1), losses, "--" if simulated else "-",
                    marker=MARKERS[n % len(MARKERS)], markersize=size, label=label,
                    markerfacecolor="none" if simulated else None,
                    alpha=1.0 if simulated else 0.75)
        ax.set_xlabel(word("step"))
        ax.set_ylabel(word("loss"))
        ax.grid(True, alpha=0.3)
        fig.legend(loc="outside lower center", ncols=1, fontsize=8, frameon=False)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
        plt.close(fig)
    return buffer.getvalue()


def write_figure(path: Path, svg: str) -> None:
    """Write only when it changed, so an unchanged figure does not make Sphinx rebuild."""
    if path.exists() and path.read_text(encoding="utf-8") == svg:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg, encoding="utf-8")
