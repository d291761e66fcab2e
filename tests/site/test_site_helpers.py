"""The helpers behind what readers see: signatures one parameter per line, figures that read in
both languages, search terms for the English pages."""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from optbridge.plotting import plot_bars, plot_curves
from optbridge.sphinxext.search_zh import read_terms
from optbridge.sphinxext.site import from_docstring
from optbridge.sphinxext.text import one_parameter_per_line


def test_one_parameter_per_line() -> None:
    assert one_parameter_per_line("f(a, b=(1, 2), c='x, y', *, d=None)") == (
        "f(\n    a,\n    b=(1, 2),\n    c='x, y',\n    *,\n    d=None,\n)"
    )


@pytest.mark.parametrize(("source", "expected"), [
    ("/src/optbridge/mappings/loader.py:docstring of optbridge.mappings.loader", True),
    # Sphinx drops the file when it cannot parse the module (schema.py: an rf-string in a class)
    ("docstring of optbridge.mappings.schema.Api", True),
    ("/docs/reference/mappings.md", False),
    (None, False),
])
def test_docstrings_are_told_apart_with_or_without_their_file(source: str | None,
                                                              expected: bool) -> None:
    assert from_docstring(source) is expected


@pytest.mark.parametrize("signature", ["f()", "f(a", "f(a, (b)", "no call", "f(a) -> None"])
def test_signatures_it_cannot_split_are_kept(signature: str) -> None:
    assert one_parameter_per_line(signature) == signature


def decaying(scale: float, span: float = 1) -> list[float]:
    """40 steps falling by e**(2 * span) in all."""
    return [scale * math.exp(-step * span / 20) for step in range(40)]


@pytest.mark.parametrize("span", [1, 2, 10], ids=["in a decade", "two decades", "nine decades"])
def test_coinciding_curves_stay_distinguishable_and_the_legend_is_outside(span: int) -> None:
    fig = plot_curves({"a": decaying(1, span), "b": decaying(1, span), "c": decaying(2, span)},
                      title="Training loss of a, b and c", log=True)
    try:
        ax = fig.axes[0]
        styles = [(line.get_linestyle(), line.get_marker()) for line in ax.get_lines()]
        assert len(set(styles)) == 3, styles
        starts = [line.get_markevery()[0] for line in ax.get_lines()]
        assert len(set(starts)) == 3, f"markers of coinciding curves overlap: {starts}"
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legend = fig.legends[0].get_window_extent(renderer)
        assert not legend.overlaps(ax.get_window_extent(renderer)), "legend covers the data"
        low, high = ax.get_ylim()
        labelled = [t for t in ax.yaxis.get_major_ticks()
                    if low <= t.get_loc() <= high and t.label1.get_text()]
        assert len(labelled) >= 4, [t.label1.get_text() for t in labelled]
        boxes = sorted((t.label1.get_window_extent(renderer) for t in labelled),
                       key=lambda box: box.y0)
        assert all(a.y1 <= b.y0 for a, b in pairwise(boxes)), (
            "tick labels overlap: " + ", ".join(t.label1.get_text() for t in labelled))
        assert not [t for t in ax.yaxis.get_minor_ticks() if t.label1.get_text()]
    finally:
        plt.close("all")


def test_the_chinese_twin_has_chinese_text_in_a_cjk_font() -> None:
    fig = plot_curves({"a, defaults": decaying(1)}, title="Loss", title_zh="训练损失",
                      labels_zh={"a, defaults": "a，默认值"})
    try:
        twin, title = fig.optbridge_chinese()
        ax = twin.axes[0]
        assert title == "训练损失" == ax.get_title()
        assert ax.get_xlabel() == "步数" and ax.get_ylabel() == "训练损失"
        assert [t.get_text() for t in twin.legends[0].get_texts()] == ["a，默认值"]
        family = ax.title.get_fontfamily()[0]
        assert "CJK" in family, family
    finally:
        plt.close("all")


def test_the_bar_chart_has_a_chinese_twin_too() -> None:
    fig = plot_bars({"for-loop": 3.0, "FusedRMSprop": 1.0}, title="Time per step",
                    xlabel="ms", ylabel="optimizer", title_zh="每步耗时", xlabel_zh="毫秒",
                    ylabel_zh="优化器", labels_zh={"for-loop": "逐参数循环"})
    try:
        assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["for-loop",
                                                                         "FusedRMSprop"]
        twin, title = fig.optbridge_chinese()
        ax = twin.axes[0]
        assert title == "每步耗时" == ax.get_title()
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("毫秒", "优化器")
        assert [t.get_text() for t in ax.get_yticklabels()] == ["逐参数循环", "FusedRMSprop"]
        assert "CJK" in ax.title.get_fontfamily()[0]
    finally:
        plt.close("all")


def test_no_curves_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no curves"):
        plot_curves({}, title="x")


def test_search_terms_file_reads_as_words(repo_root: Path) -> None:
    terms = read_terms(repo_root / "docs" / "search-terms.zh.txt")
    assert "学习率" in terms and "动量" in terms
    assert all(" " not in term for term in terms)
