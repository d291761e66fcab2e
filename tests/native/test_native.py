"""The native snippets against their committed real runs, offline (no framework installed).

Each check has a fixture below that makes it fail: a missing record, an edited snippet, a
tampered record, a keyword the real API lacks, a simulation configured differently, an API the
simulation lacks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from optbridge.frameworks import registry
from optbridge.mappings import load_all
from optbridge.native import NOT_EXECUTED, SnippetError, discover
from optbridge.native.__main__ import check_snippet
from optbridge.native.compare import trajectory_differences
from optbridge.native.offline import (
    configuration_problems,
    missing_in_simulation,
    note_apis,
    record_of,
    signature_problems,
    simulation_differences,
    staleness,
)
from optbridge.native.runtimes import RUNTIMES, shared_environment_problems
from optbridge.native.snippets import FRAMEWORKS_DIR, ROOT, load_record

SNIPPETS = discover()
EXECUTED = [s for s in SNIPPETS if s.executed]
MAPPINGS = load_all(ROOT / "docs" / "mappings")


def ids(snippets: list) -> list[str]:
    return [f"{s.slug}:{s.room}" for s in snippets]


def test_every_mapping_has_both_sides() -> None:
    by_slug = {item.slug: item.mapping for item in MAPPINGS}
    assert set(by_slug) == {s.slug for s in SNIPPETS}
    for slug, mapping in by_slug.items():
        frameworks = sorted(registry()[s.room].mapping_key for s in SNIPPETS if s.slug == slug)
        assert frameworks == sorted([mapping.source.framework, mapping.target.framework]), slug


def test_runtimes_follow_the_registry() -> None:
    assert shared_environment_problems() == []
    for room, runtime in RUNTIMES.items():
        framework = registry()[room]
        assert runtime.env == framework.recorder_env or runtime.env is None, room
        assert (runtime.env is None) == (not runtime.requirements.exists()), room


@pytest.mark.parametrize("snippet", EXECUTED, ids=ids(EXECUTED))
def test_record_is_current(snippet) -> None:
    record = record_of(snippet)
    assert staleness(snippet, record) == []
    assert record["framework"] == RUNTIMES[snippet.room].display


def test_no_orphan_records() -> None:
    recorded = {p for p in FRAMEWORKS_DIR.glob("*/snippets/*/*.json")}
    assert recorded == {s.record_path for s in EXECUTED}


@pytest.mark.parametrize("snippet", EXECUTED, ids=ids(EXECUTED))
def test_simulation_reproduces_the_real_run(snippet) -> None:
    assert simulation_differences(snippet, record_of(snippet)) == []


@pytest.mark.parametrize("snippet", EXECUTED, ids=ids(EXECUTED))
def test_every_api_and_keyword_exists_in_the_real_framework(snippet) -> None:
    record = record_of(snippet)
    assert record["apis"], "no API recorded"
    assert signature_problems(snippet, record) == []


@pytest.mark.parametrize("snippet", SNIPPETS, ids=ids(SNIPPETS))
def test_simulation_runs_the_snippets_configuration(snippet) -> None:
    assert configuration_problems(snippet) == []


def test_apis_of_snippets_and_notes_exist_in_the_simulation() -> None:
    """The optimizer APIs a reader is told to use: the ones each snippet's simulation stands for,
    all of optax a snippet calls (``chain``, ``apply_updates``: optimizer plumbing), and every
    API of a simulated namespace written in a mapping note. Layers (``nn.Dense``) are torch's
    in the simulation and are not listed."""
    from optbridge.native.apis import api_uses
    from optbridge.native.offline import compat_name
    from optbridge.native.simulation import links

    names = {link["api"] for s in SNIPPETS for link in links(s)}
    names |= {n for s in SNIPPETS for n in api_uses(s.path) if n.startswith("optax.")}
    for item in MAPPINGS:
        m = item.mapping
        for text in [r.note.en for r in m.parameters] + [d.text.en for d in m.differences]:
            names |= set(note_apis(text))
    simulated = sorted(n for n in names if compat_name(n))
    assert {"optax.add_decayed_weights", "optax.chain", "optax.apply_updates",
            "mindspore.nn.RMSProp", "keras.optimizers.RMSprop"} <= set(simulated)
    assert missing_in_simulation(simulated) == []


def test_oneflow_is_marked_not_executed() -> None:
    assert {s.room for s in SNIPPETS if not s.executed} == set(NOT_EXECUTED) == {"oneflow"}
    assert not set(NOT_EXECUTED) & set(RUNTIMES)


# ---- fixtures that make each check fail -------------------------------------------------------

SLUG = "pytorch/RMSprop-mindspore"


@pytest.fixture
def copied(tmp_path: Path):
    """The snippets and records of one mapping, copied to ``tmp_path`` (same layout)."""
    source = ROOT / "examples" / "native" / SLUG
    target = tmp_path / "examples" / "native" / SLUG
    shutil.copytree(source, target)
    for framework in ("torch", "mindspore"):
        record = FRAMEWORKS_DIR / framework / "snippets" / f"{SLUG}.json"
        (tmp_path / "rooms" / framework / "snippets" / "pytorch").mkdir(parents=True)
        shutil.copy(record, tmp_path / "rooms" / framework / "snippets" / f"{SLUG}.json")
    return {s.room: s for s in discover(tmp_path / "examples" / "native", tmp_path / "rooms")}


def tamper(path: Path, edit) -> None:
    record = json.loads(path.read_text())
    edit(record)
    path.write_text(json.dumps(record))


def test_missing_record_fails(copied) -> None:
    copied["mindspore"].record_path.unlink()
    with pytest.raises(SnippetError, match="no record .*run make frameworks"):
        record_of(copied["mindspore"])


def test_edited_snippet_fails_naming_it(copied) -> None:
    snippet = copied["mindspore"]
    snippet.path.write_text(snippet.path.read_text().replace("decay=0.9", "decay=0.8"))
    (message,) = staleness(snippet, record_of(snippet))
    assert message.endswith(
        "examples/native/pytorch/RMSprop-mindspore/train_mindspore.py: changed since it last ran "
        "on MindSpore 2.10.0: run make frameworks")


def test_record_whose_trajectory_contradicts_its_output_fails(copied) -> None:
    snippet = copied["mindspore"]
    tamper(snippet.record_path, lambda r: r["trajectory"][0]["losses"].__setitem__(3, 3.3))
    with pytest.raises(SnippetError, match="'trajectory' does not match field 'output'"):
        record_of(snippet)


def test_tampered_number_fails_the_simulation_check(copied) -> None:
    snippet = copied["mindspore"]

    def edit(record: dict) -> None:
        record["output"] = record["output"].replace("step  4  loss 3.347438",
                                                    "step  4  loss 3.347448")
        record["trajectory"][0]["losses"][3] = 3.347448

    tamper(snippet.record_path, edit)
    (problem,) = simulation_differences(snippet, record_of(snippet))
    assert "losses[3] = " in problem and "expected 3.347448" in problem


def test_keyword_missing_from_the_real_signature_fails(copied) -> None:
    snippet = copied["mindspore"]
    tamper(snippet.record_path,
           lambda r: r["apis"]["mindspore.nn.RMSProp"]["parameters"].remove("decay"))
    assert signature_problems(snippet, record_of(snippet)) == [
        f"{snippet.relative}: mindspore.nn.RMSProp: no parameter 'decay' in MindSpore 2.10.0"]
    tamper(snippet.record_path, lambda r: r["apis"].pop("mindspore.value_and_grad"))
    assert any("mindspore.value_and_grad: not in the recorded signatures" in p
               for p in signature_problems(snippet, record_of(snippet)))


def test_simulation_configured_differently_fails(copied) -> None:
    snippet = copied["mindspore"]
    toml = snippet.path.parent / "simulation.toml"
    toml.write_text(toml.read_text().replace("learning_rate = 0.01, decay = 0.9",
                                             "learning_rate = 0.01, decay = 0.95"))
    (problem,) = configuration_problems(snippet)
    assert "mindspore.nn.RMSProp called with" in problem


def test_api_missing_from_the_simulation_fails() -> None:
    assert missing_in_simulation(["optax.no_such_transform", "numpy.zeros"]) == [
        "optax.no_such_transform: no optbridge.compat.optax:no_such_transform in the simulation"]


def _rerun_prints_the_record(monkeypatch, snippet) -> None:
    """Make the re-run print exactly the committed record, whatever this CPU would print, so
    that only the tampering can fail the check."""
    committed = load_record(snippet.record_path)
    calls = []

    def rerun(s, runtime, limits):
        calls.append(dict(limits))
        return committed["output"], committed["trajectory"]

    monkeypatch.setattr("optbridge.native.__main__.run_trajectory", rerun)
    monkeypatch.setattr("optbridge.native.__main__.probe", lambda s, runtime: {
        "packages": {"torch": committed["framework_version"]}, "python": committed["python"]})
    return calls


@pytest.mark.parametrize(("edit", "expected"), [
    (("step 10  loss 2.746369", "step 10  loss 2.746379"),
     "losses[9] = 2.746369, expected 2.746379"),
    (("weight [ 0.26864633", "weight [ 0.26865633"), "weight[0] = 0.26864633, expected 0.26865633"),
])
def test_rerun_check_fails_on_a_tampered_record(copied, monkeypatch, edit, expected) -> None:
    """What CI's `make frameworks-check` does, independent of this machine: a loss changed in
    its fifth decimal, or a weight by 1e-5, fails under every instruction-set variant."""
    from optbridge.native import isa
    from optbridge.native.snippets import parse_output

    snippet = copied["torch"]
    calls = _rerun_prints_the_record(monkeypatch, snippet)
    assert check_snippet(snippet, RUNTIMES["torch"]) == []

    def change(record: dict) -> None:
        record["output"] = record["output"].replace(*edit)
        record["trajectory"] = parse_output(record["output"], "tampered")

    tamper(snippet.record_path, change)
    problems = check_snippet(snippet, RUNTIMES["torch"])
    assert len(problems) == len(isa.CHECKED)
    for problem, variant in zip(problems, isa.CHECKED, strict=True):
        assert problem.startswith(f"{snippet.relative}: {variant} (") and expected in problem
    assert calls[-len(isa.CHECKED):] == list(isa.CHECKED.values())


TORCH_RUNS = [s for s in EXECUTED if RUNTIMES[s.room].env is None]


@pytest.mark.parametrize("snippet", TORCH_RUNS, ids=ids(TORCH_RUNS))
def test_torch_scripts_match_their_records_under_every_instruction_set(snippet) -> None:
    """The real re-run, here: the CPU's default kernels, MKL and oneDNN limited to AVX2 one at a
    time and together; every one must agree with the record (made limited to AVX2)."""
    assert check_snippet(snippet, RUNTIMES[snippet.room]) == []


@pytest.mark.parametrize(("factor", "agrees"), [(0.5, True), (0.95, True), (2.0, False),
                                                (5.0, False)])
@pytest.mark.parametrize("rerun", [True, False], ids=["rerun", "simulation"])
def test_trajectory_tolerance_at_its_edge(factor: float, agrees: bool, rerun: bool) -> None:
    """A value off by ``factor`` times what the tolerance allows: inside agrees, twice fails;
    for every field, the first and the last step."""
    from optbridge.native.compare import (
        RERUN_ULPS_PER_STEP,
        SIMULATION_ULPS_PER_STEP,
        allowed,
    )

    ulps = RERUN_ULPS_PER_STEP if rerun else SIMULATION_ULPS_PER_STEP
    run = {"label": None, "losses": [3.617854] + [3.0] * 8 + [2.746369],
           "weight": [0.26864633, -0.37056786], "bias": [0.15431064],
           "printed_digit": {"losses": -6, "weight": -8, "bias": -8}}
    other = dict(run) if rerun else {k: v for k, v in run.items() if k != "printed_digit"}
    units = {k: (1.0 if rerun else 0.5) * 10.0 ** d for k, d in run["printed_digit"].items()}
    for field, index, steps in (("losses", 0, 1), ("losses", 9, 10), ("weight", 1, 10),
                                ("bias", 0, 10)):
        value = run[field][index]
        moved = json.loads(json.dumps(other))
        moved[field][index] = value + factor * allowed(value, value, steps, ulps, units[field])
        assert (trajectory_differences([run], [moved], rerun=rerun) == []) is agrees, field


@pytest.mark.parametrize("snippet", EXECUTED, ids=ids(EXECUTED))
def test_rerun_comparison_catches_a_changed_fifth_decimal(snippet) -> None:
    """Every recorded loss changed in its fifth decimal fails the CI re-run check; the printed
    digit's rounding (a sixth decimal one unit off) does not."""
    recorded = record_of(snippet)["trajectory"]
    for n, run in enumerate(recorded):
        for i, value in enumerate(run["losses"]):
            for change, fails in ((1e-5, True), (-1e-5, True), (1e-6, False)):
                tampered = json.loads(json.dumps(recorded))
                tampered[n]["losses"][i] = round(value + change, 6)
                assert bool(trajectory_differences(recorded, tampered, rerun=True)) is fails, (
                    n, i, value, change)


@pytest.mark.parametrize(("field", "value"), [
    ("date", "2026-11-29 <script>"), ("framework_version", "2.10.0](javascript:x)"),
    ("device", "CPU*"), ("framework", "MindSpore`"),
])
def test_record_field_that_could_carry_markup_is_refused(copied, field: str, value: str) -> None:
    """What reaches the page outside a code fence is checked against a strict pattern."""
    snippet = copied["mindspore"]
    tamper(snippet.record_path, lambda r: r.__setitem__(field, value))
    with pytest.raises(SnippetError, match=f"field '{field}' is malformed"):
        record_of(snippet)


def test_install_command_refuses_a_malformed_version() -> None:
    from optbridge.sphinxext.native import install_command

    assert install_command("paddle", {"packages": {"paddlepaddle": "3.3.1"}, "snippet": "x"}) == \
        "pip install paddlepaddle==3.3.1"
    assert install_command("torch", {"packages": {"torch": "2.13.0+cpu"}, "snippet": "x"}) == \
        "pip install torch==2.13.0"
    # torch-npu 2.13.0 requires torch==2.13.0.* (its METADATA on PyPI): the same version twice.
    assert install_command("torch_npu", {"packages": {"torch": "2.13.0+cpu"}, "snippet": "x"}) \
        .startswith("pip install torch==2.13.0 torch-npu==2.13.0")
    with pytest.raises(SnippetError, match="malformed version"):
        install_command("paddle", {"packages": {"paddlepaddle": "3.3.1\n```{raw}"}, "snippet": "x"})


def test_install_failure_is_an_error_naming_the_room() -> None:
    from optbridge.native.runtimes import InstallError, Runtime, ensure_environment

    runtime = Runtime("paddle", ("paddlepaddle",), env="never-created-by-this-test")
    with pytest.raises(InstallError, match="paddle: cannot run /nonexistent/python3"):
        ensure_environment(runtime, "/nonexistent/python3")
    with pytest.raises(InstallError, match=r"frameworks/oneflow/requirements.txt: missing"):
        ensure_environment(Runtime("oneflow", ("oneflow",), env="x"), "python3")
