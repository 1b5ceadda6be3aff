"""A run's other inputs are hostile too: output paths, option values, a second run into the same
report folder, a baseline that is not a file, a base that holds nothing, model paths that share
a last name or hold an ``@``. Each stops at once with one line (exit 4) or gives the right
verdict; none measures first and fails after."""

import os
import shutil
import socket
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).parents[2]
SPECS = ROOT / "mechanisms" / "specs"
FINETUNE = ROOT / "fixtures" / "finetunes" / "zoo-890k-benign"
ONE_CELL = ("--model-sizes=zoo-890k", "--checkpoints=final")


@pytest.fixture
def project(pytester):
    shutil.copy(SPECS / "induction.mech.yaml", pytester.path / "canary.mech.yaml")
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    return pytester


def usage_error(result, *needles: str) -> None:
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()[-2000:]
    err = result.stderr.str()
    for needle in needles:
        assert err.count(needle) == 1, err
    assert "passed" not in result.stdout.str() and "Traceback" not in err


@pytest.mark.parametrize(
    "option, message",
    [
        ("--update-baseline=missing/base.json", "--update-baseline=missing/base.json: its folder"),
        ("--mech-summary=.", "--mech-summary=.: is a folder; give a file name"),
        ("--mech-wait=0", "give a finite number of seconds > 0"),
        ("--mech-wait=nan", "give a finite number of seconds > 0"),
        ("--mech-wait=-5", "give a finite number of seconds > 0"),
        ("--mech-memory=0", "give a finite number of GiB > 0"),
    ],
)
def test_bad_outputs_and_option_values_stop_before_any_cell(project, option, message):
    extra = ("--baseline-model=pytest-mechanisms/zoo-890k@step2048",) if "update" in option else ()
    result = project.runpytest_subprocess(*ONE_CELL, *extra, option, "--mech-report=rep")
    usage_error(result, message)
    assert not (project.path / "rep" / "results.json").exists()


def test_a_second_run_into_one_report_folder_is_refused_and_a_stale_lock_taken_over(project):
    (project.path / "rep").mkdir()
    lock = project.path / "rep" / ".lock"
    lock.write_text(f"{socket.gethostname()} {os.getpid()}\n")  # this test's process: alive
    result = project.runpytest_subprocess(*ONE_CELL, "--mech-report=rep")
    usage_error(
        result, f"another pytest run (pid {os.getpid()} on {socket.gethostname()}) is writing reports"
    )
    lock.write_text(f"{socket.gethostname()} 999999999\n")  # a run that is gone
    result = project.runpytest_subprocess(*ONE_CELL, "--mech-report=rep")
    assert result.ret == 0, result.stdout.str()[-2000:]
    assert (project.path / "rep" / "results.json").exists() and not lock.exists()


def test_a_baseline_that_is_not_a_regular_file_is_refused_at_once(project):
    fifo = project.path / "base.fifo"
    os.mkfifo(fifo)
    result = project.runpytest_subprocess(
        "--model-sizes=none", f"--baseline={fifo}", f"--model={FINETUNE}", timeout=120
    )
    usage_error(result, f"--baseline={fifo}: not a regular file")
    result = project.runpytest_subprocess("--model-sizes=none", "--baseline=/dev/zero", f"--model={FINETUNE}")
    usage_error(result, "--baseline=/dev/zero: not a regular file")


def test_a_base_that_holds_none_of_the_claims_fails_the_gate(project):
    """zoo-890k at step 0 holds nothing: every candidate claim is 'not required', which would
    pass any candidate; the gate says there is nothing to gate and the run fails."""
    result = project.runpytest_subprocess(
        "--model-sizes=none",
        "--baseline-model=pytest-mechanisms/zoo-890k@step0",
        f"--model={FINETUNE}",
        "--mech-report=rep",
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["*FAILED: the base holds none of the 1 claims: nothing to gate.*"])
    result.stdout.fnmatch_lines(["*base: pytest-mechanisms/zoo-890k (revision step0); measured in this run*"])


def test_models_are_their_whole_path(project):
    """Two candidates in different folders with one last name are two models; a folder whose
    name holds an '@' is a model, not a revision."""
    for folder in ("a/ft", "b/ft", "x@y"):
        (project.path / folder).parent.mkdir(parents=True, exist_ok=True)
        (project.path / folder).symlink_to(FINETUNE)
    result = project.runpytest_subprocess(
        "--collect-only", "-q", "--model-sizes=none", "--model=a/ft", "--model=b/ft", "--model=x@y"
    )
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    ids = [line for line in result.outlines if "::" in line]
    assert ids == [
        "canary.mech.yaml::induction-heads[a~ft@final]",
        "canary.mech.yaml::induction-heads[b~ft@final]",
        "canary.mech.yaml::induction-heads[x@y@final]",
    ], ids
