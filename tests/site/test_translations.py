"""Every message of the hand-written pages has a finished Chinese translation."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

# Mapping pages are translated in their data files, so they have no catalogs (the Makefile's
# gettext target drops them too). The API reference's prose is in the catalogs; its docstrings
# are kept out of them by optbridge.sphinxext.site.
NOT_IN_CATALOGS = ("migration/",)
# Markup, scanned left to right: math, ``literals``, roles and `code`, {placeholders}.
MARKUP = re.compile(
    r"\$\$?[^$]+\$\$?|``[^`]+``|(?P<role>:[\w:-]+:|\{[\w:-]+\})?`(?P<body>[^`]+)`|\{[^}]*\}"
)


def verbatim_parts(text: str) -> list[str]:
    """What a translation must keep byte for byte; of a role with an explicit title
    (:download:`title <target>`) only the role and the target, since the title is prose."""
    parts = []
    for match in MARKUP.finditer(text):
        role, body = match.group("role"), match.group("body")
        target = re.search(r"<[^<>]+>$", body) if role and body else None
        parts += [role + "`", target.group(0) + "`"] if target else [match.group(0)]
    return parts


def read_catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> dict[str, set[str]]:
    """msgids per document, extracted from the current sources by Sphinx's gettext builder."""
    out = tmp_path_factory.mktemp("gettext")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "gettext", "-q", "-c", str(repo_root),
         str(repo_root / "docs"), str(out)],
        check=False, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    messages: dict[str, set[str]] = {}
    for pot in out.rglob("*.pot"):
        docname = pot.relative_to(out).with_suffix("").as_posix()
        if docname.startswith(NOT_IN_CATALOGS):
            continue
        ids = {m.id for m in read_catalog(pot) if m.id}
        if ids:
            messages[docname] = ids
    assert messages, "the gettext builder extracted nothing"
    return messages


def test_every_source_message_is_translated(extracted: dict[str, set[str]], repo_root: Path) -> None:
    locale = repo_root / "docs" / "locale" / "zh_CN" / "LC_MESSAGES"
    missing: list[str] = []
    for docname, ids in sorted(extracted.items()):
        po = locale / f"{docname}.po"
        if not po.exists():
            missing.append(f"{po}: missing catalog (run make gettext)")
            continue
        catalog = read_catalog(po)
        for msgid in sorted(ids):
            message = catalog.get(msgid)
            if message is None or not message.string:
                missing.append(f"{po}: untranslated: {msgid[:60]!r}")
            elif message.fuzzy:
                missing.append(f"{po}: fuzzy: {msgid[:60]!r}")
    assert not missing, "\n".join(missing)


def test_catalogs_have_no_empty_or_fuzzy_entries(repo_root: Path) -> None:
    problems: list[str] = []
    catalogs = sorted((repo_root / "docs" / "locale" / "zh_CN").rglob("*.po"))
    assert catalogs
    for po in catalogs:
        for message in read_catalog(po):
            if not message.id:
                continue
            if not message.string:
                problems.append(f"{po}: untranslated: {message.id[:60]!r}")
            if message.fuzzy:
                problems.append(f"{po}: fuzzy: {message.id[:60]!r}")
            for kept in verbatim_parts(message.id):
                if kept not in message.string:
                    problems.append(f"{po}: {kept!r} changed in translation of {message.id[:40]!r}")
    assert not problems, "\n".join(problems)


def test_verbatim_parts_of_markup() -> None:
    text = ("Use ``decay`` and ``eps`` via `https://<owner>.io/` or "
            ":download:`Download: a.py <a.py>`, $v_0 = 1$, {doc}`page <target>` and {name}.")
    assert verbatim_parts(text) == [
        "``decay``", "``eps``", "`https://<owner>.io/`", ":download:`", "<a.py>`", "$v_0 = 1$",
        "{doc}`", "<target>`", "{name}",
    ]
