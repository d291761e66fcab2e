"""Items 4 and 8: hostile mapping tables and tool arguments, each refused with one line that
names the file (and the field), or accepted and rendered as escaped text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from optbridge.mappings import MappingError, load_all, load_mapping
from optbridge.mappings.checks.__main__ import main as check_main
from optbridge.mappings.schema import (
    MAX_API,
    MAX_FILE_BYTES,
    MAX_NOTE,
    MAX_SHORT_TEXT,
    MAX_SIGNATURE,
    MAX_SUMMARY,
)
from optbridge.sphinxext.native import _fenced
from optbridge.sphinxext.pages import write_pages

from .tables import TABLES, copy_tables, rendered_page

VALID = TABLES / "pytorch" / "Rprop-paddle.toml"
RAW_SCRIPT = '```{raw} html\n<script>alert(1)</script>\n```'


def problems(path: Path) -> list[str]:
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return caught.value.problems


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def poisoned(field_line: str, value: str) -> str:
    """The valid table with the line starting ``field_line`` given ``value`` (a TOML string)."""
    text = VALID.read_text(encoding="utf-8")
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(field_line))
    key = field_line.split("=")[0].strip()
    lines[index] = f"{key} = {value}"
    return "\n".join(lines) + "\n"


def only_problem(path: Path) -> str:
    found = problems(path)
    assert len(found) == 1, found
    line = found[0]
    assert "\n" not in line
    assert Path(line.split(": ", 1)[0]).resolve() == path.resolve(), line
    return line.split(": ", 1)[1]


# --- item 4: injection through fields pasted into generated MyST -------------------------

@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ('api = "torch.optim.Rprop"', f'"torch.optim.Rprop <x>\\n{RAW_SCRIPT.encode("unicode_escape").decode()}"',
         "source.api: must be a dotted Python name such as torch.optim.RMSprop (got "),
        ('api = "paddle.optimizer.Rprop"', '"paddle.optimizer.Rprop`"',
         "target.api: must be a dotted Python name such as torch.optim.RMSprop (got "),
        ('api = "torch.optim.Rprop"', '"torch.optim.Rprop "',
         "source.api: must be a dotted Python name"),
        ('api = "torch.optim.Rprop"', '"torch..Rprop"', "source.api: must be a dotted Python name"),
        ('version = "2.13.0"', '"2.13.0 <b>x</b>"', "source.version: must be a version such as 2.13.0"),
        ('doc_url = "https://docs.pytorch.org', '"javascript:alert(1)"',
         "source.doc_url: URL scheme should be 'http' or 'https'"),
        ('signature = "torch.optim.Rprop', '"torch.optim.Rprop(\\n```{raw} html"',
         "source.signature: must be one line of text without control characters"),
        ('counterpart = "torch.optim:Rprop"', '"os:system; rm"',
         "source.counterpart: must be module:attribute"),
        ('script = "plot_pytorch_rprop_paddle"', '"plot_x </auto_examples/evil>"',
         "examples[0].script: must be plot_ followed by lower-case letters, digits, _"),
    ],
    ids=["api-raw-html", "api-backtick", "api-space", "api-empty-part", "version-html",
         "url-javascript", "signature-newline", "counterpart", "example-script"],
)
def test_markup_fields_are_held_to_strict_patterns(tmp_path, field, value, expected):
    path = write(tmp_path / "pytorch", "Rprop-paddle.toml", poisoned(field, value))
    assert only_problem(path).startswith(expected)


@pytest.mark.parametrize(
    "stem",
    ["Rprop paddle copy", "Rprop-paddle`x", "Rprop<script>", "Rprop-paddle\u00a0", "-Rprop",
     "Rprop..paddle", "页面"],
)
def test_file_stems_are_held_to_a_strict_pattern(tmp_path, stem):
    path = tmp_path / "pytorch" / f"{stem}.toml"
    path.parent.mkdir()
    path.write_bytes(VALID.read_bytes())
    assert only_problem(path) == (
        f"file name {path.name!r}: a mapping file is named with letters, digits and '_', joined "
        "by '.' or '-' (no spaces), e.g. RMSprop-mindspore.toml"
    )


def test_a_note_with_markup_is_escaped_text_on_the_page(tmp_path):
    from docutils import nodes

    note = "<script>alert(1)</script> {raw}`html` [x](javascript:alert(1)) **b** `code`"
    text = VALID.read_text(encoding="utf-8").replace(
        "Name prefix of the optimizer's variables; it does not change the result.", note)
    path = write(tmp_path / "pytorch", "Rprop-paddle.toml", text)
    page = rendered_page(load_mapping(path), "en")
    assert not list(page.findall(nodes.raw)) and not list(page.findall(nodes.reference))[2:]
    shown = page.astext()
    assert "<script>alert(1)</script> {raw}html [x](javascript:alert(1)) **b** code" in shown
    literals = [n.astext() for n in page.findall(nodes.literal)]
    assert "html" in literals and "code" in literals  # backticks: inline code, nothing else


def test_generated_myst_pastes_only_checked_names(tmp_path):
    item = load_mapping(VALID)
    written = write_pages(tmp_path, [item])
    index = (tmp_path / "migration" / "pytorch" / "index.md").read_text(encoding="utf-8")
    assert "torch.optim.Rprop → paddle.optimizer.Rprop <Rprop-paddle>" in index
    assert len(written) == 3
    # A table built without the loader (model_copy skips validation) cannot reach a page either.
    bad_api = item.mapping.source.model_copy(update={"api": "x\n```{raw} html"})
    bad = type(item)(path=item.path, slug=item.slug,
                     mapping=item.mapping.model_copy(update={"source": bad_api}))
    with pytest.raises(ValueError, match=r"Rprop-paddle.toml: source.api: 'x\\n```\{raw\} html' "
                                         "cannot go into a page"):
        write_pages(tmp_path / "other", [bad])
    assert not (tmp_path / "other" / "migration" / "pytorch").exists()


def test_code_with_backtick_fences_stays_inside_its_fence():
    code = "x = 1\n```\n```{raw} html\n<script>alert(1)</script>\n```"
    assert _fenced("python", code) == "````python\n" + code + "\n````\n"
    assert _fenced("text", "````\nout") == "`````text\n````\nout\n`````\n"


# --- item 8: field length limits ---------------------------------------------------------

@pytest.mark.parametrize(
    ("field", "limit", "where"),
    [
        ('en = "Same Rprop rule;', MAX_SUMMARY, "summary.en"),
        ('api = "torch.optim.Rprop"', MAX_API, "source.api"),
        ('signature = "torch.optim.Rprop', MAX_SIGNATURE, "source.signature"),
        ('source_default = "required"', MAX_SHORT_TEXT, "parameters[0].source_default"),
    ],
)
def test_field_length_limits(tmp_path, field, limit, where):
    long_value = "a" * (limit + 1)
    path = write(tmp_path / "pytorch", "Rprop-paddle.toml", poisoned(field, f'"{long_value}"'))
    message = only_problem(path)
    assert message.startswith(f"{where}: String should have at most {limit} characters (got ")
    assert message.endswith(f"... ({limit + 1} characters))")  # the value is not repeated whole


def test_url_and_title_limits(tmp_path):
    from optbridge.mappings.schema import MAX_URL

    url = "https://docs.pytorch.org/" + "a" * MAX_URL
    path = write(tmp_path / "pytorch", "Rprop-paddle.toml",
                 poisoned('doc_url = "https://docs.pytorch.org', f'"{url}"'))
    assert only_problem(path).startswith(f"source.doc_url: URL should have at most {MAX_URL} ")
    text = VALID.read_text(encoding="utf-8").replace(
        '"Larger default minimum step size"', '"' + "t" * (MAX_SHORT_TEXT + 1) + '"')
    write(tmp_path / "pytorch", "Rprop-paddle.toml", text)
    assert only_problem(path).startswith(
        f"differences[1].title.en: String should have at most {MAX_SHORT_TEXT} characters")
    text = VALID.read_text(encoding="utf-8").replace(
        '"Larger default minimum step size"', '"Larger\\nminimum"')
    write(tmp_path / "pytorch", "Rprop-paddle.toml", text)
    assert only_problem(path).startswith(
        "differences[1].title.en: must be one line of text without control characters")


def test_a_long_note_is_refused_naming_the_row(tmp_path):
    text = VALID.read_text(encoding="utf-8").replace(
        "Name prefix of the optimizer's variables", "x" * MAX_NOTE)
    path = write(tmp_path / "pytorch", "Rprop-paddle.toml", text)
    assert only_problem(path).startswith(
        f"parameters[10].note.en: String should have at most {MAX_NOTE} characters")


def test_a_one_megabyte_note_is_refused_before_parsing(tmp_path):
    text = VALID.read_text(encoding="utf-8").replace(
        "Name prefix of the optimizer's variables", "x" * 1_000_000)
    path = write(tmp_path / "pytorch", "Rprop-paddle.toml", text)
    assert re.fullmatch(
        rf"\d+ bytes; a mapping file may hold at most {MAX_FILE_BYTES}", only_problem(path))


# --- item 8: which files are read ---------------------------------------------------------

def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "pytorch" / "Rprop-paddle.toml"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + VALID.read_bytes())
    assert load_mapping(path).mapping.source.api == "torch.optim.Rprop"


def test_not_utf8_is_named(tmp_path):
    path = tmp_path / "pytorch" / "Rprop-paddle.toml"
    path.parent.mkdir()
    path.write_bytes(VALID.read_text(encoding="utf-8").encode("utf-16"))
    assert only_problem(path).startswith("not UTF-8 text: invalid start byte at byte 0")


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("pytorch/Rprop paddle copy.toml", "file name 'Rprop paddle copy.toml': a mapping file is"),
        ("pytorch/Broken.TOML", "a mapping file's name must end in '.toml' (lower case)"),
        ("pytorch/notes.md", "a mapping file's name must end in '.toml' (lower case)"),
        ("pytorch/old/Broken.toml",
         "in a sub-folder, not read; mapping files go directly in <framework>/"),
        ("README.toml", "not read; mapping files go in <framework>/"),
    ],
)
def test_every_file_under_the_tables_is_loaded_or_refused_by_name(tmp_path, relative, expected):
    root = copy_tables(tmp_path / "mappings")
    write(root, relative, "this = is not [valid")
    with pytest.raises(MappingError) as caught:
        load_all(root)
    assert len(caught.value.problems) == 1, caught.value.problems
    where, what = caught.value.problems[0].split(": ", 1)
    assert Path(where).resolve() == (root / relative).resolve()
    assert what.startswith(expected), what


def test_unknown_framework_folder_is_named(tmp_path):
    root = copy_tables(tmp_path / "mappings")
    (root / "pytorch").rename(root / "pytroch")
    with pytest.raises(MappingError) as caught:
        load_all(root)
    assert len(caught.value.problems) == 1, caught.value.problems
    where, what = caught.value.problems[0].split(": ", 1)
    assert Path(where).resolve() == (root / "pytroch").resolve()
    assert what.startswith("not a framework folder; expected one of pytorch, ")


def test_missing_tables_folder_is_named(tmp_path):
    with pytest.raises(MappingError, match="nowhere: no such folder"):
        load_all(tmp_path / "nowhere")


# --- item 8: `make check` arguments -------------------------------------------------------

def test_check_refuses_an_unknown_option(capsys):
    # `--goldens DIR` once dropped 14 claims silently when DIR was missing; the recorded data now
    # lives in each framework's room, and an option the tool lacks is a usage error.
    with pytest.raises(SystemExit) as exited:
        check_main(["docs/mappings", "--goldens", "/nonexistent"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m optbridge.mappings.checks")
    assert err.strip().endswith("error: unrecognized arguments: --goldens /nonexistent")


def test_check_refuses_a_missing_examples_folder(capsys):
    with pytest.raises(SystemExit) as exited:
        check_main(["docs/mappings", "--examples", "/nonexistent"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        "error: argument --examples: /nonexistent: no such folder")


def test_check_refuses_a_missing_tables_folder(capsys):
    with pytest.raises(SystemExit) as exited:
        check_main(["/nonexistent/mappings"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.strip().endswith(
        "error: argument mappings: /nonexistent/mappings: no such folder or file")


def test_check_names_a_missing_example_script(tmp_path, capsys):
    root = copy_tables(tmp_path / "mappings")
    examples = tmp_path / "examples"
    examples.mkdir()
    assert check_main([str(root), "--no-recorded", "--examples", str(examples)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 10, err  # one per table: each names one example
    wanted = [line for line in err if "pytorch/Rprop-paddle.toml: examples[0].script: " in line]
    assert len(wanted) == 1 and wanted[0].endswith(
        f"{Path('examples', 'plot_pytorch_rprop_paddle.py')} does not exist"), wanted


def test_check_refuses_a_poisoned_table_with_exit_2(tmp_path, capsys):
    root = copy_tables(tmp_path / "mappings")
    (root / "pytorch" / "Rprop-paddle.toml").write_text(
        poisoned('api = "torch.optim.Rprop"', '"torch.optim.Rprop\\n<script>"'), encoding="utf-8")
    assert check_main([str(root), "--no-recorded"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Rprop-paddle.toml: source.api: must be a dotted Python name" in err[0]


def test_the_documented_limits_are_the_enforced_ones():
    from optbridge.mappings import schema

    doc = (TABLES.parent / "contributing" / "mapping-format.md").read_text(encoding="utf-8")
    section = doc.split("## Names and limits", 1)[1]
    text = " ".join(section.split())
    for phrase in [
        f"at most {schema.MAX_API} characters, ending in `.toml`",
        f"`torch.optim.RMSprop`, at most {schema.MAX_API} characters",
        f"`2.13.0`, at most {schema.MAX_SHORT_TEXT} characters",
        f"address of at most {schema.MAX_URL} characters",
        f"one line of at most {schema.MAX_SIGNATURE} characters",
        f"identifiers of at most {schema.MAX_NAME} characters",
        f"defaults: one line of at most {schema.MAX_SHORT_TEXT} characters",
        f"at most {schema.MAX_SUMMARY} characters in each language",
        f"difference: at most {schema.MAX_NOTE};",
        f"`title`: one line of at most {schema.MAX_SHORT_TEXT}",
        f"larger than {schema.MAX_FILE_BYTES} bytes",
    ]:
        assert phrase in text, phrase
