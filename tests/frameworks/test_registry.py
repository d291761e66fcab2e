"""The registry refuses a room that does not declare itself properly, naming the file."""

from __future__ import annotations

import sys
from types import ModuleType

import pytest

from optbridge import frameworks
from optbridge.frameworks import Framework


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch):
    """Loads the rooms again from a patched ROOMS; the real registry comes back afterwards."""
    frameworks.registry.cache_clear()
    yield lambda **room: _install(monkeypatch, **room)
    frameworks.registry.cache_clear()


def _install(monkeypatch: pytest.MonkeyPatch, **declaration: object) -> None:
    module = ModuleType("optbridge.frameworks.fake")
    vars(module).update(declaration)
    monkeypatch.setitem(sys.modules, "optbridge.frameworks.fake", module)
    monkeypatch.setattr(frameworks, "ROOMS", ("fake",))


def _fake(key: str) -> Framework:
    return Framework(key=key, mapping_key="fake", display_name="Fake",
                     driver="optbridge.mappings.checks.drivers:Driver")


def test_a_room_that_declares_another_key_is_refused(fresh_registry) -> None:
    fresh_registry(FRAMEWORK=_fake("other"))
    with pytest.raises(ValueError, match=r"fake/__init__.py declares key 'other'; it must be"):
        frameworks.registry()


def test_a_room_without_a_declaration_is_refused(fresh_registry) -> None:
    fresh_registry()
    with pytest.raises(TypeError, match=r"fake/__init__.py must declare FRAMEWORK"):
        frameworks.registry()


def test_a_well_declared_room_is_registered(fresh_registry) -> None:
    fresh_registry(FRAMEWORK=_fake("fake"))
    assert list(frameworks.registry()) == ["fake"]
    assert frameworks.display_names() == {"fake": "Fake"}


def test_a_driver_that_cannot_be_loaded_names_the_framework() -> None:
    broken = Framework(key="fake", mapping_key="fake", display_name="Fake",
                       driver="optbridge.mappings.checks.drivers:NoSuchDriver")
    with pytest.raises(ImportError, match=r"framework 'fake': driver='optbridge.mappings"):
        broken.load_driver()
