"""The native code example of a mapping page: both snippets in synchronized tabs, each with the
output of its recorded real run, the install command, and one figure of the real runs and our
simulation.

Snippet code and outputs go into code fences longer than any backtick run inside them, so they
stay literal; everything else shown comes from the vocabulary or from record fields that
:func:`optbridge.native.load_record` validated against a strict pattern.
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
from optbridge.native import NOT_EXECUTED, Snippet, SnippetError, for_mapping, load_record

PHRASES: dict[str, dict[Language, str]] = {
    "ran_on": {"en": "Ran on {framework} {version} ({device}, Python {python}) on {date}.",
               "zh": "在 {framework} {version} 上运行（{device}，Python {python}），{date}。"},
    "output": {"en": "Output of that run:", "zh": "该次运行的输出："},
    "install": {"en": "Install", "zh": "安装"},
    "intro": {
        "en": "Both scripts train the same linear model from the same initial weights on the same "
              "seeded data, and print every step's loss and the final weights. Each is complete: "
              "copy it into a file and run it. They were run on the real frameworks by "
              "`make frameworks`, which recorded the outputs shown.",
        "zh": "两个脚本以相同的初始权重、在相同的随机种子数据上训练同一个线性模型，并打印每一步的损失"
              "和最终权重。每个脚本都是完整的：复制到文件中即可运行。它们由 `make frameworks` "
              "在真实框架上运行，下面是记录下的输出。",
    },
    "figure": {
        "en": "Training loss per step: the recorded real runs (solid lines) and our simulation "
              "with `optbridge.compat` (dashed, hollow markers), same data and configuration.",
        "zh": "每一步的训练损失：记录下的真实运行（实线）与我们用 `optbridge.compat` 的模拟（虚线、"
              "空心标记），数据和配置相同。",
    },
    "figure_alt": {"en": "Training loss per step, real runs and simulation",
                   "zh": "每一步的训练损失：真实运行与模拟"},
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
    "torch_npu": "pip install torch=={torch} torch-npu=={torch}  # with Ascend's CANN toolkit",
    "mindspore": "pip install mindspore=={mindspore} numpy=={numpy}",
    "keras": "pip install tensorflow-cpu=={tensorflow-cpu} keras=={keras}",
    "tf1": "pip install tensorflow-cpu=={tensorflow-cpu}",
    "optax": "pip install optax=={optax} jax=={jax} jaxlib=={jaxlib}",
    "paddle": "pip install paddlepaddle=={paddlepaddle}",
    "oneflow": "pip install oneflow  # wheels from OneFlow's own index; PyPI holds a placeholder",
}
SAFE_VERSION = re.compile(r"^[0-9A-Za-z.+-]{1,40}$")


def say(key: str, language: Language, **values: str) -> str:
    return PHRASES[key][language].format(**values)


@dataclass(frozen=True)
class Side:
    snippet: Snippet
    record: dict[str, Any] | None  # None: not executed


def sides(item: MappingFile, root: Path) -> dict[str, Side]:
    """The source and target snippets of a mapping (under ``root``) with their records;
    SnippetError if any snippet or record is missing or malformed."""
    snippets = for_mapping(item.slug, root)
    out = {}
    for side in ("source", "target"):
        framework = getattr(item.mapping, side).framework
        # Rooms of this side's framework (TensorFlow: keras, tf1); the folder holds one of them.
        mine = [s for room, s in snippets.items() if registry()[room].mapping_key == framework]
        if len(mine) != 1:
            raise SnippetError(f"{item.slug}: expected one snippet examples/native/{item.slug}/"
                               f"train_<room>.py for {framework}, found {len(mine)}")
        snippet = mine[0]
        record = None
        if snippet.executed:
            if not snippet.record_path.is_file():
                raise SnippetError(f"{snippet.relative}: no record: run make frameworks")
            record = load_record(snippet.record_path)
        out[side] = Side(snippet, record)
    return out


def install_command(room: str, record: dict[str, Any] | None) -> str:
    packages = record["packages"] if record else {}
    for name, version in packages.items():
        if not SAFE_VERSION.match(str(version)):
            raise SnippetError(f"{record and record['snippet']}: package {name!r} has a "
                               f"malformed version {version!r}")
    # A local version label (torch's ``+cpu``) names a build, not a release on PyPI.
    return INSTALL[room].format_map({k: str(v).split("+")[0] for k, v in packages.items()})


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
    if record is None:
        parts.append(":::{note}\n" + NOT_EXECUTED[snippet.room][language] + "\n:::\n")
    else:
        parts.append(say("output", language) + "\n")
        parts.append(_fenced("text", record["output"]))
        python = ".".join(record["python"].split(".")[:2])
        parts.append("*" + say("ran_on", language, framework=record["framework"],
                               version=record["framework_version"], device=record["device"],
                               python=python, date=record["date"]) + "*\n")
    parts.append(f"{say('install', language)}:\n")
    parts.append(_fenced("bash", install_command(snippet.room, record)))
    if snippet.room == "torch_npu":
        parts.append(say("npu_run", language) + "\n")
        parts.append(_fenced("bash", f"python -m optbridge.run {snippet.path.name}"))
    parts.append(":::::\n")
    return "\n".join(parts)


def native_markdown(both: dict[str, Side], language: Language, figure: str | None,
                    gallery_page: str | None) -> str:
    """MyST for the code example section body (below its heading)."""
    tabs = "\n".join(tab_markdown(side, both[side], language) for side in ("source", "target"))
    parts = [say("intro", language) + "\n",
             "::::::{tab-set}\n:sync-group: mapping-side\n\n" + tabs + "::::::\n"]
    if figure:
        parts.append(f"```{{figure}} {figure}\n:class: optbridge-figure\n"
                     f":alt: {say('figure_alt', language)}\n\n"
                     f"{say('figure', language)}\n```\n")
    if gallery_page:
        parts.append(f"**{say('explore', language)}.** {say('explore_text', language)} "
                     f"{{doc}}`/{gallery_page}`\n")
    return "\n".join(parts)


MARKERS = ["o", "s", "^", "D", "v", "P"]


#: The figure's words in each site language (API names stay as they are).
FIGURE_WORDS: dict[str, dict[Language, str]] = {
    "real": {"en": "real", "zh": "真实运行"},
    "simulation": {"en": "optbridge simulation", "zh": "optbridge 模拟"},
    "step": {"en": "step", "zh": "步数"},
    "loss": {"en": "training loss", "zh": "训练损失"},
}


def figure_svg(item: MappingFile, both: dict[str, Side], language: Language = "en") -> str:
    """Loss per step of every real run (solid lines, filled markers) and of the simulation of
    each side (dashed, hollow markers), in ``language``. Curves that coincide stay visible: each
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
    for side in ("source", "target"):
        name = getattr(item.mapping, side).api
        for run in (both[side].record or {}).get("trajectory", []):
            label = f"{name} ({word('real')}{', ' + run['label'] if run['label'] else ''})"
            series.append((label, run["losses"], False))
    for side in ("source", "target"):
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
