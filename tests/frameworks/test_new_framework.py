"""Adding a framework is a room (facade + driver), one registry entry and its mapping tables.

A throwaway framework, ToyFlow, is built in a temporary folder: its optimizer is applied with
``opt.apply(grads)`` (no ``step()``), so only its own driver can run it. Registered at runtime,
it is picked up by the schema, the checks, ``optbridge.compat`` and the page renderer (an
in-process Sphinx build) with no other change.
"""

from __future__ import annotations

import inspect
import io
import json
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from optbridge import frameworks
from optbridge.frameworks import Framework
from optbridge.mappings import MappingError, load_all
from optbridge.mappings.checks import check_mapping
from optbridge.mappings.checks.drivers import driver_for

FACADE = '''
import torch


class SGD:
    """ToyFlow's SGD: ``SGD(params, learning_rate=0.01)``, applied with ``opt.apply(grads)``."""

    def __init__(self, params, learning_rate=0.01):
        self.params = list(params)
        if any(isinstance(p, dict) for p in self.params):
            raise TypeError("ToyFlow's SGD takes no parameter groups")
        self.learning_rate = learning_rate

    @torch.no_grad()
    def apply(self, grads):
        for p, g in zip(self.params, grads, strict=True):
            p.sub_(self.learning_rate * g)
'''

DRIVER = '''
from optbridge.mappings.checks.drivers import Driver


class ToyDriver(Driver):
    def construct(self, factory, kwargs, steps):
        return factory(list(self.params.values()), **kwargs)

    def step(self, grads):
        self.optimizer.apply([grads[n] for n in self.params])
'''

#: The room's record of the real API: ToyFlow is not installed, so, like torch_npu's, its
#: signature is transcribed (``derived_from_source``) and the displayed signature is checked
#: against it.
RECORD = {
    "framework": "toy",
    "framework_version": "0.1",
    "api": "toy.optim.SGD",
    "derived_from_source": True,
    "command": "transcribed from FACADE's def line",
    "signature": [
        {"name": "params", "kind": "POSITIONAL_OR_KEYWORD", "default": "<required>"},
        {"name": "learning_rate", "kind": "POSITIONAL_OR_KEYWORD", "default": 0.01},
    ],
}


def toy_framework(room: Path) -> Framework:
    return Framework(
        key="toy",
        mapping_key="toy",
        display_name="ToyFlow",
        facade="toyflow_room.facade",
        driver="toyflow_room.driver:ToyDriver",
        modules=("toyflow_room",),
        data_dir=room / "data",
    )


def torch_signature() -> str:
    """torch.optim.SGD's signature as a page shows it: names and defaults, no annotations."""
    shown = []
    for p in inspect.signature(torch.optim.SGD).parameters.values():
        if p.kind is p.KEYWORD_ONLY and "*" not in shown:
            shown.append("*")
        shown.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return f"torch.optim.SGD({', '.join(shown)})"


def _row(**fields: str) -> str:
    body = "".join(f'{k} = "{v}"\n' for k, v in fields.items())
    return f'[[parameters]]\n{body}note = {{ en = "A note.", zh = "说明。" }}\n\n'


def mapping_table() -> str:
    """toy.optim.SGD -> torch.optim.SGD, a row for every parameter of torch's signature."""
    rows = _row(source="params", target="params", difference="behaviour-differs",
                check="no_groups")
    rows += _row(source="learning_rate", target="lr", source_default="0.01",
                 target_default="0.001", difference="renamed-default-differs",
                 check="same_steps")
    for name, p in inspect.signature(torch.optim.SGD).parameters.items():
        if name not in ("params", "lr"):
            rows += _row(target=name, target_default=repr(p.default), difference="target-only")
    return textwrap.dedent('''\
        schema_version = 1

        [summary]
        en = "Plain SGD."
        zh = "普通 SGD。"

        [source]
        framework = "toy"
        api = "toy.optim.SGD"
        signature = "toy.optim.SGD(params, learning_rate=0.01)"
        doc_url = "https://toyflow.example/SGD"
        version = "0.1"
        counterpart = "toyflow_room.facade:SGD"

        [target]
        framework = "pytorch"
        api = "torch.optim.SGD"
        signature = "{torch_signature}"
        doc_url = "https://docs.pytorch.org/docs/2.13/generated/torch.optim.SGD.html"
        version = "2.13.0"
        counterpart = "torch.optim:SGD"

        ''').replace("{torch_signature}", torch_signature()) + rows + textwrap.dedent('''\
        [checks.same_steps]
        kind = "trajectory"
        steps = 5
        source = { learning_rate = 0.1 }
        target = { lr = 0.1 }
        expect = "agree"
        tolerance = 1e-6

        [checks.no_groups]
        kind = "validation"
        source_groups = [{}]
        target_groups = [{}]
        source_raises = "TypeError"
        target_raises = "none"
        ''')


@pytest.fixture
def docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The room as an importable package and the table in a temporary docs folder."""
    room = tmp_path / "code" / "toyflow_room"
    room.mkdir(parents=True)
    (room / "__init__.py").write_text("", encoding="utf-8")
    (room / "facade.py").write_text(FACADE, encoding="utf-8")
    (room / "driver.py").write_text(DRIVER, encoding="utf-8")
    (room / "data").mkdir()
    (room / "data" / "toy.optim.SGD.json").write_text(json.dumps(RECORD), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "code"))
    table = tmp_path / "docs" / "mappings" / "toy" / "SGD-pytorch.toml"
    table.parent.mkdir(parents=True)
    table.write_text(mapping_table(), encoding="utf-8")
    return tmp_path / "docs"


@pytest.fixture
def toy(docs: Path) -> Framework:
    """ToyFlow's declaration, its room being the one ``docs`` wrote."""
    return toy_framework(docs.parent / "code" / "toyflow_room")


def test_an_unregistered_framework_is_refused_by_name(docs: Path) -> None:
    with pytest.raises(MappingError) as info:
        load_all(docs / "mappings")
    # The loader refuses the folder before any table in it is read, naming what it expected.
    expected = ("toy: not a framework folder; expected one of pytorch, tensorflow, oneflow, "
                "paddle, optax, mindspore, torch_npu")
    problems = [p.split("/docs/mappings/")[-1] for p in info.value.problems]
    assert problems == [expected], info.value.problems


def test_the_checks_pick_up_a_registered_framework(docs: Path, toy: Framework,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(frameworks.registry(), "toy", toy)
    [item] = load_all(docs / "mappings")
    assert driver_for(item.mapping.source.counterpart).__name__ == "ToyDriver"
    report = check_mapping(item, recorded=True)
    assert not report.failures, [c.line() for c in report.failures]
    statuses = {c.where: c.status for c in report.claims}
    assert statuses["checks.same_steps"] == "pass"  # ran ToyFlow through its own driver
    assert statuses["target"] == "pass"  # every torch.optim.SGD parameter has its row
    assert statuses["source.api"] == "skip"  # toy is not an installed package


def test_a_broken_driver_fails_the_check(docs: Path, toy: Framework, monkeypatch: pytest.MonkeyPatch) -> None:
    """Falling back to the torch-like driver (``step()``) cannot run ToyFlow: the registry's
    driver is what made the check pass."""
    monkeypatch.setitem(frameworks.registry(), "toy", Framework(
        **{**toy.__dict__, "driver": "optbridge.mappings.checks.drivers:Driver"}))
    [item] = load_all(docs / "mappings")
    [claim] = [c for c in check_mapping(item).failures if c.where == "checks.same_steps"]
    assert "step" in claim.detail, claim.detail


def test_compat_imports_a_registered_facade(docs: Path, toy: Framework, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(frameworks.registry(), "toy", toy)
    import optbridge.compat

    try:
        from optbridge.compat.toy import SGD

        assert SGD.__module__ == "toyflow_room.facade"
        assert optbridge.compat.toy.SGD is SGD
    finally:  # the alias must not outlive the registration
        sys.modules.pop("optbridge.compat.toy", None)
        vars(optbridge.compat).pop("toy", None)


def test_the_site_renders_a_registered_framework(docs: Path, toy: Framework,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from sphinx.application import Sphinx

    monkeypatch.setitem(frameworks.registry(), "toy", toy)
    (docs / "conf.py").write_text(
        'extensions = ["myst_parser", "optbridge.sphinxext"]\n'
        'optbridge_mappings_dir = "mappings"\nexclude_patterns = ["mappings/**"]\n',
        encoding="utf-8")
    (docs / "index.md").write_text("# Test\n\n```{toctree}\nmigration/index\n```\n",
                                   encoding="utf-8")
    warnings = io.StringIO()
    app = Sphinx(str(docs), str(docs), str(docs / "_build"), str(docs / "_doctrees"), "html",
                 status=None, warning=warnings, freshenv=True)
    app.build()
    assert app.statuscode == 0 and not warnings.getvalue(), warnings.getvalue()
    page = (docs / "_build" / "migration" / "toy" / "SGD-pytorch.html").read_text("utf-8")
    assert "Differences between toy.optim.SGD and torch.optim.SGD" in page
    assert "ToyFlow" in page and "This build verified" in page
    index = (docs / "_build" / "migration" / "toy" / "index.html").read_text("utf-8")
    assert "ToyFlow API mappings" in index
