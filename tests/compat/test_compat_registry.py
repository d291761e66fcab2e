"""What every framework room must satisfy, parametrised over the registry: a new room is covered
by these tests with no change here."""

from __future__ import annotations

import importlib
import inspect
import json

import pytest
from compat_goldens import decode, load, signature_rows

import optbridge.compat
from optbridge.frameworks import Framework, registry
from optbridge.mappings.checks.drivers import Driver

FRAMEWORKS = [pytest.param(f, id=key) for key, f in registry().items()]
WITH_FACADE = [pytest.param(f, id=key) for key, f in registry().items() if f.facade]
RECORDED = [
    pytest.param(f, path.stem, id=path.stem)
    for f in registry().values() if f.data_dir is not None
    for path in sorted(f.data_dir.glob("*.json"))
]
#: Parameters a facade adds on purpose beyond the real API (documented in its docstring).
ADDED = {"optax.rprop": {"fix_stale_update"}}


def facade_object(framework: Framework, api: str) -> object:
    """The facade's counterpart of ``api``: the same last name (``mindspore.nn.RMSProp`` ->
    ``RMSProp``)."""
    return getattr(importlib.import_module(framework.facade), api.rpartition(".")[2])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_driver_is_a_driver(framework: Framework) -> None:
    assert issubclass(framework.load_driver(), Driver)


@pytest.mark.parametrize("framework", WITH_FACADE)
def test_compat_path_is_the_facade(framework: Framework) -> None:
    facade = importlib.import_module(framework.facade)
    assert importlib.import_module(f"optbridge.compat.{framework.key}") is facade
    assert framework.key in optbridge.compat.__all__
    assert framework.owns(f"optbridge.compat.{framework.key}")
    assert facade.__all__ and all(hasattr(facade, name) for name in facade.__all__)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_recorded_data_has_a_recorder(framework: Framework) -> None:
    if framework.data_dir is None:
        assert framework.recorder is None
        return
    assert sorted(framework.data_dir.glob("*.json")), f"{framework.data_dir} holds no data"
    spec = importlib.util.find_spec(framework.recorder)
    assert spec is not None and spec.origin.endswith("recorder.py"), framework.recorder


@pytest.mark.parametrize(("framework", "api"), RECORDED)
def test_recorded_file_names_its_api(framework: Framework, api: str) -> None:
    data = json.loads((framework.data_dir / f"{api}.json").read_text(encoding="utf-8"))
    assert data["api"] == api and data["cases"] and data["signature"]


@pytest.mark.parametrize(("framework", "api"), RECORDED)
def test_signature_matches_recorded(framework: Framework, api: str) -> None:
    obj = facade_object(framework, api)
    rows = signature_rows(obj.__init__ if inspect.isclass(obj) else obj)
    rows = [r for r in rows if r["name"] not in ADDED.get(api, ())]
    assert rows == [{**r, "default": decode(r["default"])} for r in load(api)["signature"]]
