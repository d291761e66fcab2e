"""What every framework room must satisfy, parametrised over the registry: a new room is covered
by these tests with no change here."""

from __future__ import annotations

import importlib
import inspect
import json
from pathlib import Path

import pytest
from compat_goldens import decode, load, signature_rows

import optbridge.compat
from optbridge.frameworks import Framework, registry
from optbridge.mappings.checks.drivers import Driver

FRAMEWORKS = [pytest.param(f, id=key) for key, f in registry().items()]
WITH_FACADE = [pytest.param(f, id=key) for key, f in registry().items() if f.facade]
RECORDED = [
    pytest.param(f, api, id=api)
    for f in registry().values() for api in f.api_records()
]
MAPPING_CASES = [
    pytest.param(f, api, id=f"{api}.mapping-cases")
    for f in registry().values() for api in f.mapping_cases_files()
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


def unrecorded_data(framework: Framework) -> list[str]:
    """Data files of ``framework`` that nothing in its room can (re)write: an API record needs the
    room's recorder, unless it was transcribed from the source (``derived_from_source``, with
    the transcription in ``command``); recorded mapping cases need the room's ``mapping_cases``
    module."""
    problems = []
    for path in framework.api_records().values():
        data = json.loads(path.read_text(encoding="utf-8"))
        transcribed = data.get("derived_from_source") is True and data.get("command")
        if framework.recorder is None and not transcribed:
            problems.append(f"{path.name}: no recorder, and not marked derived_from_source")
        elif framework.recorder is not None and not _is_module(framework.recorder, "recorder.py"):
            problems.append(f"{path.name}: recorder {framework.recorder!r} is no recorder.py")
    for path in framework.mapping_cases_files().values():
        if not _is_module(framework.mapping_cases_recorder, "mapping_cases.py"):
            problems.append(f"{path.name}: no {framework.mapping_cases_recorder}")
    return problems


def _is_module(name: str, file_name: str) -> bool:
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return False
    return spec is not None and spec.origin is not None and spec.origin.endswith(file_name)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_recorded_data_has_a_recorder(framework: Framework) -> None:
    if framework.data_dir is None:
        assert framework.recorder is None
        return
    assert framework.api_records(), f"{framework.data_dir} holds no API record"
    assert unrecorded_data(framework) == []


def test_unrecorded_data_is_found(tmp_path: Path) -> None:
    """Fixture: a hand-written API record and mapping cases with no module to record them."""
    (tmp_path / "toy.optim.SGD.json").write_text('{"api": "toy.optim.SGD"}', encoding="utf-8")
    (tmp_path / "toy.optim.SGD.mapping-cases.json").write_text("{}", encoding="utf-8")
    toy = Framework(key="toy", mapping_key="toy", display_name="Toy", driver="x:y",
                    data_dir=tmp_path)
    assert toy.api_records() == {"toy.optim.SGD": tmp_path / "toy.optim.SGD.json"}
    assert list(toy.mapping_cases_files()) == ["toy.optim.SGD"]
    assert unrecorded_data(toy) == [
        "toy.optim.SGD.json: no recorder, and not marked derived_from_source",
        "toy.optim.SGD.mapping-cases.json: no optbridge.frameworks.toy.mapping_cases",
    ]


@pytest.mark.parametrize(("framework", "api"), RECORDED)
def test_recorded_file_names_its_api(framework: Framework, api: str) -> None:
    data = json.loads(framework.api_records()[api].read_text(encoding="utf-8"))
    assert data["api"] == api and data["signature"]
    # Update cases come from running the package (or its kernel formula); a signature
    # transcribed from a def line has none.
    assert data.get("cases") or framework.recorder is None, f"{api}: recorded without cases"


@pytest.mark.parametrize(("framework", "api"), MAPPING_CASES)
def test_mapping_cases_file_names_its_api(framework: Framework, api: str) -> None:
    data = json.loads(framework.mapping_cases_files()[api].read_text(encoding="utf-8"))
    assert data["api"] == api and data["cases"] and data["framework_version"]
    assert f"-m {framework.mapping_cases_recorder}" in data["command"]


@pytest.mark.parametrize(("framework", "api"), RECORDED)
def test_signature_matches_recorded(framework: Framework, api: str) -> None:
    obj = facade_object(framework, api)
    rows = signature_rows(obj.__init__ if inspect.isclass(obj) else obj)
    rows = [r for r in rows if r["name"] not in ADDED.get(api, ())]
    assert rows == [{**r, "default": decode(r["default"])} for r in load(api)["signature"]]
