"""Bad input costs only itself: a broken spec is one error item, bad options stop the run at once
with one line, and results.json always tells the truth about the run that wrote it."""

import json
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
SPECS = Path(__file__).parents[2] / "mechanisms" / "specs"
ONE_CELL = ("--model-sizes=zoo-890k", "--checkpoints=final")


@pytest.fixture
def project(pytester):
    shutil.copy(SPECS / "induction.mech.yaml", pytester.path / "canary.mech.yaml")
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    return pytester


def hostile_files(root: Path) -> dict:
    """One file per way a spec can be broken; the value is what its error must say."""
    canary = (root / "canary.mech.yaml").read_text()
    files = {
        "empty.mech.yaml": (b"", "a spec must be a YAML mapping"),
        "list.mech.yml": (b"- 1\n- 2\n", "a spec must be a YAML mapping"),
        "latin1.mech.yaml": ("claim: café\n".encode("latin-1"), "not UTF-8 text"),
        "bomb.mech.yaml": (
            (
                "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                + "".join(
                    f"b{i}: &b{i} [{', '.join(['*a' if i == 0 else f'*b{i - 1}'] * 10)}]\n" for i in range(9)
                )
            ).encode(),
            "too large",
        ),
        "skip.mech.yaml": (
            canary.replace("version: 1", "version: 1\nmarks: [skip]")
            .replace("id: induction-heads", "id: skipper")
            .encode(),
            "'skip' is reserved",
        ),
        "dupe.mech.yaml": (canary.encode(), "is already the id of"),
        "huge.mech.yaml": (
            canary.replace("id: induction-heads", "id: huge")
            .replace("n_prompts: 32", "n_prompts: 1000000000")
            .encode(),
            "must be between 1 and 4096",
        ),
    }
    for name, (data, _) in files.items():
        (root / name).write_bytes(data)
    return {name: message for name, (_, message) in files.items()}


def test_each_broken_spec_is_one_error_item_and_the_canary_still_passes(project):
    expected = hostile_files(project.path)
    result = project.runpytest_subprocess("-n", "2", *ONE_CELL, "--mech-report=rep")
    out = result.stdout.str()
    assert result.ret == 1 and "INTERNALERROR" not in out
    result.assert_outcomes(passed=1, failed=len(expected))
    for name, message in expected.items():
        assert any(name in line and message in line for line in out.splitlines()), (name, message)
    cells = json.loads((project.path / "rep" / "results.json").read_text())["cells"]
    assert [(c["spec"], c["outcome"]) for c in cells] == [("induction-heads", "holds")]


def test_collect_only_shows_why_a_spec_is_invalid(project):
    (project.path / "typo.mech.yaml").write_text(
        (project.path / "canary.mech.yaml")
        .read_text()
        .replace("id: induction-heads", "id: typo")
        .replace("min: 0.4", "mni: 0.4")
    )
    result = project.runpytest_subprocess("--collect-only", "-q")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*invalid mechanism specs*", "*typo.mech.yaml:*mni: unknown field 'mni'*"])


def test_user_marks_work_under_strict_markers(project):
    text = (
        (project.path / "canary.mech.yaml").read_text().replace("version: 1", "version: 1\nmarks: [nightly]")
    )
    (project.path / "canary.mech.yaml").write_text(text)
    result = project.runpytest_subprocess(
        "--strict-markers", "-m", "nightly", "--collect-only", "-q", *ONE_CELL
    )
    assert result.ret == 0, result.stdout.str()
    assert sum("::" in line for line in result.outlines) == 1


@pytest.mark.parametrize(
    "option, message",
    [
        ("--model-sizes=zoo-890k,zoo-890k", "--model-sizes names zoo-890k twice"),
        ("--model-sizes=", "--model-sizes='' names no size"),
        ("--checkpoints=", "--checkpoints='' names no checkpoint"),
    ],
)
def test_option_values_that_name_nothing_or_twice_are_errors(project, option, message):
    """A bad option value is one usage error (exit 4), said once, not once per spec file."""
    for args in (("--collect-only", "-q", option), (option,)):
        result = project.runpytest_subprocess(*args)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        text = result.stdout.str() + result.stderr.str()
        assert text.count(message) == 1, text


def test_an_unwritable_report_directory_stops_the_run_at_once(project):
    (project.path / "file").write_text("")
    result = project.runpytest_subprocess(*ONE_CELL, "--mech-report=file/sub")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--mech-report=file/sub: cannot write there" in result.stderr.str()
    assert "passed" not in result.stdout.str()


def test_results_say_whether_the_run_was_complete_and_empty_runs_overwrite(project):
    args = ("--model-sizes=zoo-890k", "--checkpoints=step0,final", "--mech-report=rep")
    spec = project.path / "canary.mech.yaml"
    spec.write_text(
        spec.read_text().replace(
            "zoo: {sizes: {zoo-250k: 1024, zoo-520k: 768, zoo-890k: 512}}", "zoo: {sizes: all}"
        )
    )  # step0 now fails, first
    assert project.runpytest_subprocess(*args).ret == 1
    whole = json.loads((project.path / "rep" / "results.json").read_text())
    assert whole["complete"] is True and len(whole["cells"]) == 2
    assert whole["command"][0] == "pytest" and "--mech-report=rep" in whole["command"]
    assert project.runpytest_subprocess(*args, "-x").ret == 1  # stops after step0
    partial = json.loads((project.path / "rep" / "results.json").read_text())
    assert partial["complete"] is False and len(partial["cells"]) == 1
    assert (
        project.runpytest_subprocess(*args, "-k", "nothing-matches").ret == pytest.ExitCode.NO_TESTS_COLLECTED
    )
    empty = json.loads((project.path / "rep" / "results.json").read_text())
    assert empty["cells"] == [] and empty["complete"] is True  # the -x run's cell is not kept


def test_junit_properties_are_json(project):
    result = project.runpytest_subprocess(*ONE_CELL, "--junitxml=out.xml")
    assert result.ret == 0
    import xml.etree.ElementTree as ET

    props = [
        p for p in ET.parse(project.path / "out.xml").iter("property") if p.get("name") == "mechanisms.cell"
    ]
    record = json.loads(props[0].get("value"))
    assert record["spec"] == "induction-heads" and record["outcome"] == "holds"


def test_a_selective_run_keeps_the_last_runs_valid_cells_marked_not_rerun(project):
    """-k used to replace a full report with the selected cells alone."""
    args = ("-n", "2", "--model-sizes=zoo-890k", "--checkpoints=step0,final", "--mech-report=rep")
    assert project.runpytest_subprocess(*args).ret == 0
    result = project.runpytest_subprocess(*args, "-k", "step0")
    result.stdout.fnmatch_lines(["kept 1 cell(s) of the last run in rep*results.json (not re-run)"])
    cells = json.loads((project.path / "rep" / "results.json").read_text())["cells"]
    assert [(c["revision"], bool(c.get("carried"))) for c in cells] == [("step0", False), ("step2048", True)]
    assert cells[1]["carried"]["measured_by"].endswith("[zoo-890k@step2048]")
    page = (project.path / "rep" / "report.html").read_text()
    assert "↺" in page and "2 cells (1 kept from the last run, not re-run)" in page
    spec = project.path / "canary.mech.yaml"
    spec.write_text(spec.read_text().replace("min: 0.4", "min: 0.41"))  # the claim changed
    result = project.runpytest_subprocess(*args, "-k", "step0")
    result.stdout.fnmatch_lines(["kept 0 cell(s) * not kept: 1 spec changed"])
    cells = json.loads((project.path / "rep" / "results.json").read_text())["cells"]
    assert [c["revision"] for c in cells] == ["step0"]
