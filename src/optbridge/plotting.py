"""Figures of the examples and mapping pages: every curve stays visible, the legend sits outside
the data, the axes have enough labelled ticks, the image is sharp on a phone, and the Chinese
site gets the same figure with Chinese text.

>>> fig = plot_curves({"a": [3.0, 2.0, 1.0], "b": [3.0, 2.0, 1.0]}, title="Loss", log=True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib.util import find_spec
from itertools import cycle
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FuncFormatter,
    LogFormatterSciNotation,
    LogLocator,
    MaxNLocator,
    NullFormatter,
)

#: Line style and marker per curve, in order: curves that coincide still show each marker.
STYLES: tuple[tuple[str | tuple[int, tuple[int, ...]], str], ...] = (
    ("-", "o"), ("--", "s"), (":", "^"), ("-.", "D"), ((0, (5, 1, 1, 1)), "v"), ((0, (1, 3)), "x"),
)
#: Markers per curve; each curve's markers are shifted so that overlapping curves interleave.
MARKERS_PER_CURVE = 8
#: Resolution of the saved PNG: about twice the size a page shows it at.
DPI = 160
#: The Chinese font: Noto Sans CJK SC, as shipped by the ``mplfonts`` package (docs extra).
CJK_FONT_PACKAGE, CJK_FONT_FILE = "mplfonts", "fonts/NotoSansCJKsc-Regular.otf"
#: Chinese for the axis labels the examples use.
CHINESE_LABELS = {
    "step": "步数",
    "training loss": "训练损失",
    "training loss (cross-entropy)": "训练损失（交叉熵）",
}


@cache
def cjk_font_family() -> str:
    """Register the packaged CJK font with matplotlib once; return its family name."""
    spec = find_spec(CJK_FONT_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    path = Path(locations[0]) / CJK_FONT_FILE if locations else None
    if path is None or not path.is_file():
        raise RuntimeError(
            f"Chinese figures need {CJK_FONT_FILE} from the {CJK_FONT_PACKAGE!r} package: "
            "install the docs extra (python -m pip install -e '.[docs]')"
        )
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _tick_label(value: float, _position: float) -> str:
    return f"{value:g}"


def _draw(curves: Mapping[str, Sequence[float]], title: str, xlabel: str, ylabel: str,
          log: bool) -> Figure:
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=DPI, layout="constrained")
    styles = cycle(STYLES)
    for index, (label, values) in enumerate(curves.items()):
        linestyle, marker = next(styles)
        step = max(len(values) // MARKERS_PER_CURVE, 1)
        offset = (index * step) // len(curves)
        ax.plot(range(len(values)), list(values), linestyle=linestyle, marker=marker,
                markevery=(offset, step), markersize=5, linewidth=1.6, label=label,
                markerfacecolor="none")
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))
    if log:
        ax.set_yscale("log")
        low, high = ax.get_ylim()
        decades = math.log10(high / low)
        # Enough labelled ticks, and not so many that they overlap: round values within a
        # decade, 1-2-5 over a few decades, powers of ten (as 10^k) beyond.
        if decades < 1:
            ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
            ax.yaxis.set_major_formatter(FuncFormatter(_tick_label))
        elif decades <= 3:
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(_tick_label))
        else:
            ax.yaxis.set_major_locator(LogLocator(base=10, numticks=8))
            ax.yaxis.set_major_formatter(LogFormatterSciNotation())
        # The minor ticks stay unlabelled: their labels would clash with the major ones.
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.grid(True, which="major", alpha=0.3)
    fig.legend(loc="outside lower center", ncols=1, fontsize=9, frameon=False)
    return fig


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    *,
    title: str,
    xlabel: str = "step",
    ylabel: str = "training loss",
    log: bool = False,
    title_zh: str | None = None,
    labels_zh: Mapping[str, str] | None = None,
) -> Figure:
    """One figure, one line per entry of ``curves`` (label -> value per step).

    The title doubles as the figure's alt text on the site, so it says what the figure shows.
    With ``title_zh`` the figure also knows how to draw itself in Chinese (the site's Chinese
    pages show that twin): ``labels_zh`` translates legend labels (API names need none), the
    axis labels are translated by CHINESE_LABELS.
    """
    if not curves:
        raise ValueError("plot_curves: no curves to plot")
    fig = _draw(curves, title, xlabel, ylabel, log)
    if title_zh is not None:
        names = dict(labels_zh or {})
        chinese = {names.get(label, label): values for label, values in curves.items()}
        _attach_chinese_twin(fig, title_zh, lambda: _draw(
            chinese, title_zh, CHINESE_LABELS.get(xlabel, xlabel),
            CHINESE_LABELS.get(ylabel, ylabel), log))
    return fig


def _attach_chinese_twin(fig: Figure, title_zh: str, draw: Callable[[], Figure]) -> None:
    """Let ``fig`` draw its Chinese twin (``draw``, in the packaged CJK font) when the site's
    figure scraper (:mod:`optbridge.sphinxext.figures`) asks for it."""

    def draw_in_chinese() -> tuple[Figure, str]:
        style = {"font.family": [cjk_font_family(), "DejaVu Sans"], "axes.unicode_minus": False}
        with plt.rc_context(style):
            return draw(), title_zh

    fig.optbridge_chinese = draw_in_chinese


def _draw_bars(values: Mapping[str, float], title: str, xlabel: str, ylabel: str) -> Figure:
    fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=DPI, layout="constrained")
    names = list(values)
    colors = ("#999999", "#6699cc", "#cc6633", "#66aa66", "#aa66aa")
    ax.barh(names, [values[n] for n in names], color=[colors[i % len(colors)]
                                                       for i in range(len(names))])
    ax.invert_yaxis()  # the first entry on top, as it reads
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.grid(True, axis="x", alpha=0.3)
    return fig


def plot_bars(
    values: Mapping[str, float],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    title_zh: str | None = None,
    xlabel_zh: str | None = None,
    ylabel_zh: str | None = None,
    labels_zh: Mapping[str, str] | None = None,
) -> Figure:
    """A horizontal bar per entry of ``values`` (label -> value), first on top; with
    ``title_zh`` also its Chinese twin, as :func:`plot_curves` does."""
    if not values:
        raise ValueError("plot_bars: no values to plot")
    fig = _draw_bars(values, title, xlabel, ylabel)
    if title_zh is not None:
        names = dict(labels_zh or {})
        chinese = {names.get(label, label): value for label, value in values.items()}
        _attach_chinese_twin(fig, title_zh, lambda: _draw_bars(
            chinese, title_zh, xlabel_zh or xlabel, ylabel_zh or ylabel))
    return fig
