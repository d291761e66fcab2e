"""The ``OPTBRIDGE_*`` environment variables, read in one place so that each kind of value is
checked the same way everywhere: a value the variable cannot take is refused with one line
naming the variable and the value, never ignored.

An empty (or blank) value is the same as an unset variable. Flags take the usual spellings,
case-insensitively: ``1``, ``true``, ``yes``, ``on`` and ``0``, ``false``, ``no``, ``off``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})

_warned: set[tuple[str, str]] = set()


class EnvironmentVariableError(ValueError):
    """An ``OPTBRIDGE_*`` variable holds a value it cannot take."""


def text(name: str) -> str | None:
    """The value of ``name`` without surrounding blanks; None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def flag(name: str) -> bool:
    """``name`` as a true/false switch (False when unset); any other spelling is refused."""
    value = text(name)
    if value is None:
        return False
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise EnvironmentVariableError(
        f"{name}={os.environ[name]!r}: expected a true/false value "
        "(1, true, yes, on or 0, false, no, off; any case)")


def positive_integer(name: str, meaning: str) -> int | None:
    """``name`` as an integer of at least 1 (``meaning`` says what it counts, for the error);
    None when unset."""
    value = text(name)
    if value is None:
        return None
    # ASCII digits only: int() would also take "١" or "1_0", which nobody means here
    count = int(value) if value.isascii() and value.isdigit() else 0
    if count < 1:
        raise EnvironmentVariableError(
            f"{name}={os.environ[name]!r}: expected a positive integer ({meaning})")
    return count


def directory(name: str, consequence: str) -> Path | None:
    """``name`` as a folder to write in; None when unset.

    A path that cannot be one (a file, or inside a file) or cannot be written to is still
    returned, for the caller's own fallback, with a warning (once per value) naming the
    variable, the reason and ``consequence``: what the caller does instead.
    """
    value = text(name)
    if value is None:
        return None
    path = Path(value)
    problem = _directory_problem(path)
    if problem and (name, value) not in _warned:
        _warned.add((name, value))
        warnings.warn(f"{name}={value!r}: {problem}; {consequence}", RuntimeWarning,
                      stacklevel=2)
    return path


def _directory_problem(path: Path) -> str | None:
    existing = path
    try:
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
    except OSError as error:  # e.g. a name too long for the file system
        return f"unusable path: {error.strerror or error}"
    if not existing.is_dir():
        return "not a directory" if existing == path else f"{existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return "not writable" if existing == path else f"{existing} is not writable"
    return None
