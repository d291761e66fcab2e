"""One room per framework, and the registry that lists them.

``optbridge/frameworks/<name>/`` holds everything about one framework: its declaration
(``__init__.py``: a :class:`Framework`), its facade (the framework's optimizers on torch tensors,
public as ``optbridge.compat.<name>``), its check driver, its recorder and the data recorded from
the real package. ``data/`` holds files of two kinds, told apart by name: ``<api>.json``, the
API record (signature and update cases, written by the room's ``recorder``, or transcribed from
the source and marked ``derived_from_source`` where the package cannot run here), and
``<api>.mapping-cases.json``, runs of the real package that mapping tables' ``recorded`` checks
compare against (written by the room's ``mapping_cases`` module). The checks, the site and ``make goldens`` find a framework
only through :func:`registry`, so adding one is a folder plus one line in :data:`ROOMS`.

Nothing here imports torch: the recorders run inside each framework's own environment.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: Name ending of a room's recorded mapping cases (``<api>.mapping-cases.json``).
MAPPING_CASES_SUFFIX = ".mapping-cases.json"

#: The rooms, in the order the site lists their frameworks (the reference first).
ROOMS = (
    "torch",
    "keras",
    "tf1",
    "oneflow",
    "paddle",
    "optax",
    "mindspore",
    "torch_npu",
)


@dataclass(frozen=True, eq=False)  # eq=False: hashable by identity despite its dict fields
class Framework:
    """What the checks, the site and the recorder need to know about one framework."""

    #: Room name: the folder under ``optbridge/frameworks/`` and ``optbridge.compat.<key>``.
    key: str
    #: The ``framework`` value of mapping tables and their folder under ``docs/mappings/``
    #: (Keras and TF1 are both ``tensorflow``).
    mapping_key: str
    #: How the site names the framework.
    display_name: str
    #: ``module:attribute`` of the check driver (a :class:`~optbridge.mappings.checks.drivers.Driver`).
    driver: str
    #: Modules whose counterparts this framework's driver runs (or their submodules); empty:
    #: ``optbridge.compat.<key>`` and ``optbridge.frameworks.<key>``.
    modules: tuple[str, ...] = ()
    #: The facade module (None for the reference, torch itself).
    facade: str | None = None
    #: State names of the mapping schema -> the facade optimizer's attribute holding that state.
    state_names: Mapping[str, str] = field(default_factory=dict)
    #: API names as mapping tables write them -> the name the recorded data file has.
    api_aliases: Mapping[str, str] = field(default_factory=dict)
    #: Abbreviations of the top-level package in qualified names (``tf`` -> ``tensorflow``).
    import_aliases: Mapping[str, str] = field(default_factory=dict)
    #: Folder of the recorded files, ``<api>.json`` and ``<api>.mapping-cases.json`` (None:
    #: nothing recorded).
    data_dir: Path | None = None
    #: Module with ``record() -> {api: document}``, run by ``make goldens`` (None: none).
    recorder: str | None = None
    #: The virtual environment (under ``make goldens``'s ``--envs``) the recorder runs in; None:
    #: the current interpreter (a recorder that needs numpy only).
    recorder_env: str | None = None

    def __post_init__(self) -> None:
        if not self.modules:
            object.__setattr__(self, "modules", (f"optbridge.compat.{self.key}",
                                                 f"optbridge.frameworks.{self.key}"))

    def owns(self, module: str) -> bool:
        """Whether a counterpart in ``module`` belongs to this framework."""
        return any(module == m or module.startswith(m + ".") for m in self.modules)

    def recorded_file(self, api: str) -> Path | None:
        """The data recorded from the real ``api``, if this room holds it."""
        if self.data_dir is None:
            return None
        path = self.data_dir / f"{self.api_aliases.get(api, api)}.json"
        return path if path.is_file() else None

    def api_records(self) -> dict[str, Path]:
        """Every API record of this room (``<api>.json``), by API name."""
        return {p.name.removesuffix(".json"): p for p in self._data_files()
                if not p.name.endswith(MAPPING_CASES_SUFFIX)}

    def mapping_cases_files(self) -> dict[str, Path]:
        """Every file of recorded mapping cases (``<api>.mapping-cases.json``), by API name."""
        return {p.name.removesuffix(MAPPING_CASES_SUFFIX): p for p in self._data_files()
                if p.name.endswith(MAPPING_CASES_SUFFIX)}

    @property
    def mapping_cases_recorder(self) -> str:
        """The module that records this room's mapping cases (run in the framework's env)."""
        return f"optbridge.frameworks.{self.key}.mapping_cases"

    def _data_files(self) -> list[Path]:
        return [] if self.data_dir is None else sorted(self.data_dir.glob("*.json"))

    def load_driver(self) -> type:
        """The driver class that ``driver`` names."""
        module, _, attribute = self.driver.partition(":")
        try:
            return getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            raise ImportError(f"framework {self.key!r}: driver={self.driver!r} cannot be "
                              f"loaded: {exc}") from None


@cache
def registry() -> dict[str, Framework]:
    """Every framework by room name, loaded once. Mutable on purpose: a framework outside this
    package is added at runtime with ``registry()[key] = framework`` (in a test,
    ``monkeypatch.setitem(registry(), key, framework)``), and everything that looks a framework
    up sees it at once."""
    frameworks = {}
    for room in ROOMS:
        declared = getattr(importlib.import_module(f"{__name__}.{room}"), "FRAMEWORK", None)
        if not isinstance(declared, Framework):
            raise TypeError(f"optbridge/frameworks/{room}/__init__.py must declare "
                             f"FRAMEWORK = Framework(...), not {declared!r}")
        if declared.key != room:
            raise ValueError(f"optbridge/frameworks/{room}/__init__.py declares key "
                             f"{declared.key!r}; it must be the folder name {room!r}")
        frameworks[room] = declared
    return frameworks


def display_names() -> dict[str, str]:
    """Mapping-table framework key -> display name, in registry order."""
    names: dict[str, str] = {}
    for framework in registry().values():
        names.setdefault(framework.mapping_key, framework.display_name)
    return names


def framework_of(module: str) -> Framework | None:
    """The framework whose counterparts live in ``module``."""
    return next((f for f in registry().values() if f.owns(module)), None)


def recorded_file(api: str) -> Path | None:
    """The JSON recorded from the real ``api`` (e.g. ``"mindspore.nn.RMSProp"``), if any."""
    return next((p for f in registry().values() if (p := f.recorded_file(api))), None)


def mapping_cases_file(api: str) -> Path | None:
    """The recorded mapping cases of the real ``api`` (``<api>.mapping-cases.json``), if any."""
    return next((p for f in registry().values() if (p := f.mapping_cases_files().get(api))), None)


def import_aliases() -> dict[str, str]:
    """Every abbreviation of a top-level package (``tf`` -> ``tensorflow``)."""
    return {k: v for f in registry().values() for k, v in f.import_aliases.items()}
