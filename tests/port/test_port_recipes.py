"""Every table's recipe: it validates, it runs on the simulation, and the gap the page states is
the one the simulation measures (a wrong statement fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from optbridge.mappings import MappingError, load_all, load_mapping
from optbridge.port.check import gap_problem, main
from optbridge.port.expressions import ExpressionError, evaluate
from optbridge.port.measure import EXACT
from optbridge.port.page import example, scripts, verdict
from optbridge.port.recipe import PortError, apply_recipe

TABLES = Path(__file__).resolve().parents[2] / "docs" / "mappings"
ITEMS = load_all(TABLES)


def test_every_table_has_a_recipe() -> None:
    assert len(ITEMS) == 10
    assert [i.slug for i in ITEMS if i.mapping.port is None] == []


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.slug)
def test_stated_gap_is_measured(item) -> None:
    assert gap_problem(item) is None


def _with_gap(tmp_path: Path, slug: str, gap_line: str) -> Path:
    source = TABLES / f"{slug}.toml"
    text = source.read_text(encoding="utf-8")
    start = text.index("\ngap = {") + 1
    end = text.index("\n", start)
    path = tmp_path / slug.split("/")[0] / source.name
    path.parent.mkdir(parents=True)
    path.write_text(text[:start] + gap_line + text[end:], encoding="utf-8")
    return path


def test_a_wrong_stated_gap_fails(tmp_path: Path) -> None:
    # The real run of the eps recipe differs by ~41 % near eps; stating 1 % must fail.
    path = _with_gap(tmp_path, "pytorch/RMSprop-mindspore", "gap = { weights = 5.96e-08, near_eps = 0.01 }")
    problem = gap_problem(load_mapping(path))
    assert problem is not None and "port.gap" in problem and "near_eps=0.414" in problem
    assert main([str(tmp_path)]) == 1


def test_a_stated_exact_gap_that_is_not_fails(tmp_path: Path) -> None:
    path = _with_gap(tmp_path, "pytorch/RMSprop-oneflow", "gap = { weights = 5.96e-08 }")
    assert "near_eps=None" in (gap_problem(load_mapping(path)) or "")


def test_write_restates_the_measured_gap(tmp_path: Path) -> None:
    path = _with_gap(tmp_path, "pytorch/Rprop-paddle", "gap = { weights = 0.5 }")
    assert main([str(tmp_path)]) == 1
    assert main([str(tmp_path), "--write"]) == 0
    assert main([str(tmp_path)]) == 0
    assert "gap = { weights = 0 }" in path.read_text(encoding="utf-8")


def test_schema_rejects_a_recipe_naming_an_unknown_argument(tmp_path: Path) -> None:
    text = (TABLES / "pytorch" / "RMSprop-mindspore.toml").read_text(encoding="utf-8")
    bad = text.replace('epsilon = "float(eps) ** 2"', 'epsilon = "float(epsilon) ** 2"')
    bad = bad.replace('dropped = ["capturable", "foreach"]', 'dropped = ["capturable"]')
    path = tmp_path / "pytorch" / "RMSprop-mindspore.toml"
    path.parent.mkdir()
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    lines = caught.value.problems
    assert any("port.arguments.epsilon: names 'epsilon', which is no source argument" in p
               for p in lines)
    assert any("source argument 'foreach' is neither used, dropped nor unmatched" in p
               for p in lines)


def test_expressions_are_a_closed_subset() -> None:
    assert evaluate("float(eps) ** 2", {"eps": 1e-8}) == pytest.approx(1e-16)
    assert evaluate("min(max(lr, s[0]), s[1])", {"lr": 60, "s": (1e-6, 50)}) == 50
    for text in ("__import__('os')", "eps.real", "[x for x in y]", "open('f')"):
        with pytest.raises(ExpressionError):
            evaluate(text, {"eps": 1.0, "y": []})


def _item(slug: str):
    return next(i for i in ITEMS if i.slug == slug)


def test_exact_approximate_and_impossible() -> None:
    npu = apply_recipe(_item("pytorch/RMSprop-torch_npu").mapping, {"lr": 0.1, "momentum": 0.9})
    assert verdict(npu, 0.0, None) == "exact"
    ms = example(_item("pytorch/RMSprop-mindspore").mapping)
    assert ms.target_kwargs["epsilon"] == 1e-16
    assert ms.state == {"mean_square": 0.0}
    assert verdict(ms, 5.96e-8, 0.414) == "approximate"
    flow = apply_recipe(_item("pytorch/RMSprop-oneflow").mapping, {"momentum": 0.9})
    assert verdict(flow, 0.0, None) == "impossible"
    assert "momentum == 0" in flow.impossible[0].en
    assert EXACT < 1e-5


def test_int_made_float_is_said() -> None:
    ported = apply_recipe(_item("pytorch/RMSprop-mindspore").mapping, {"momentum": 0})
    assert ported.target_kwargs["momentum"] == 0.0
    assert any("`momentum` is an int" in c.en for c in ported.caveats)


def test_caveats_follow_their_conditions() -> None:
    mapping = _item("pytorch/RMSprop-mindspore").mapping
    plain = apply_recipe(mapping, {"momentum": 0.9})
    scheduled = apply_recipe(mapping, {"momentum": 0.9}, scheduler=True)
    assert not any("scheduler" in c.en for c in plain.caveats)
    assert any("scheduler" in c.en for c in scheduled.caveats)
    assert not any("scheduler" in c.en
                   for c in apply_recipe(mapping, {}, scheduler=True).caveats)


def test_paddle_rprop_learning_rate_is_clamped_into_the_range() -> None:
    ported = apply_recipe(_item("pytorch/Rprop-paddle").mapping, {"lr": 60.0})
    assert ported.target_kwargs["learning_rate"] == 50.0
    assert ported.target_kwargs["learning_rate_range"] == (1e-6, 50.0)


def test_unknown_and_missing_arguments() -> None:
    with pytest.raises(PortError, match="has no argument 'betas'"):
        apply_recipe(_item("pytorch/RMSprop-mindspore").mapping, {"betas": 1})
    with pytest.raises(PortError, match="required argument 'learning_rate' is missing"):
        apply_recipe(_item("optax/rmsprop-mindspore").mapping, {})


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.slug)
def test_scripts_are_complete_programs(item) -> None:
    pair = scripts(item.mapping)
    for script in (pair.source, pair.target):
        compile(script.text, item.slug, "exec")
        assert script.text.startswith("import json\n")
        assert "print(json.dumps(" in script.text


@pytest.mark.parametrize(("factor", "matches"), [(0.5, True), (0.95, True), (2.0, False),
                                                 (10.0, False)])
def test_stated_gap_tolerance_at_its_edge(factor: float, matches: bool) -> None:
    """A stated gap off the measured one by ``factor`` times what is allowed (relative for a
    visible gap, the absolute floor for one at float32 rounding): inside matches, twice fails."""
    from optbridge.port.measure import ABSOLUTE_TOLERANCE, RELATIVE_TOLERANCE, Gap

    measured = Gap(weights=0.0122, near_eps=0.414)
    off = factor * (RELATIVE_TOLERANCE * 0.0122 + ABSOLUTE_TOLERANCE)
    assert measured.matches(0.0122 - off, 0.414) is matches
    assert measured.matches(0.0122 + off, 0.414) is matches
    near = factor * (RELATIVE_TOLERANCE * 0.414 + ABSOLUTE_TOLERANCE)
    assert measured.matches(0.0122, 0.414 + near) is matches
    exact = Gap(weights=0.0, near_eps=None)
    assert exact.matches(factor * ABSOLUTE_TOLERANCE, None) is matches
