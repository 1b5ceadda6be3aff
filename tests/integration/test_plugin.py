"""The plugin end to end, through pytester, with xdist (``-n 2``) as users run it."""

import json
import shutil
import time
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
SPECS = Path(__file__).parents[2] / "mechanisms" / "specs"


@pytest.fixture
def project(pytester):
    for name in ("induction.mech.yaml", "ioi.mech.yaml"):
        shutil.copy(SPECS / name, pytester.path / name)
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    return pytester


def results(pytester, where="rep"):
    return json.loads((pytester.path / where / "results.json").read_text())["cells"]


def test_specs_become_items_over_sizes_and_checkpoints(project):
    result = project.runpytest_subprocess(
        "--collect-only", "-q", "--checkpoints=step0,final", "--model-sizes=zoo-40k,zoo-890k"
    )
    assert result.ret == 0
    assert not (project.path / ".mechanisms").exists()  # nothing measured: no report (the last one stays)
    ids = [line for line in result.outlines if "::" in line]
    assert "induction.mech.yaml::induction-heads[zoo-890k@step2048]" in ids
    assert len([i for i in ids if "@" in i]) == 2 * 2 * 2
    # and one emergence item per spec and suite, across the sizes (docs/specs.md#across-cells)
    assert sorted(i for i in ids if "@" not in i) == [
        "induction.mech.yaml::induction-heads-emerges[zoo]",
        "ioi.mech.yaml::ioi-behaviour-emerges[zoo]",
    ]


def test_xdist_run_prints_matrices_and_writes_results(project):
    result = project.runpytest_subprocess("-n", "2", "--checkpoints=step0,step512,final", "--mech-report=rep")
    result.assert_outcomes(passed=8, xfailed=16, skipped=2)  # emergence: judged on the default grid only
    assert result.ret == 0, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(
        ["*mechanism matrices*", "*induction-heads v1 [[]zoo[]]*", "*zoo-890k*✗*✓*✓*step 512 (1.05M tokens)*"]
    )
    cells = results(project)
    assert len(cells) == 24 and {c["worker"] for c in cells} == {"gw0", "gw1"}
    first = next(
        c for c in cells if c["model"] == "zoo-890k" and c["step"] == 2048 and c["spec"] == "induction-heads"
    )
    assert first["outcome"] == "holds" and first["provenance"]["weights_sha256"]
    assert first["checks"][0]["values"]["best_score"] > 0.4 and first["tokens"] == 2048 * 2048
    assert {"transformer-lens", "torch", "transformers"} <= set(first["provenance"]["libraries"])


def test_same_matrix_with_and_without_xdist(project):
    # -p no:xdist: xdist not loaded at all, as the README's benchmark command runs
    runs = {"a": ("-n", "0"), "b": ("-n", "2"), "c": ("-p", "no:xdist")}
    for where, how in runs.items():
        result = project.runpytest_subprocess(*how, "--checkpoints=step512,final", f"--mech-report={where}")
        assert result.ret == 0, result.stdout.str()[-2000:]

    def key(cells):
        return sorted(
            (c["spec"], c["model"], c["step"], c["outcome"], json.dumps(c["checks"], sort_keys=True))
            for c in cells
        )

    assert key(results(project, "a")) == key(results(project, "b")) == key(results(project, "c"))


def test_a_broken_spec_fails_alone(project):
    (project.path / "broken.mech.yaml").write_text(
        "format: 1\nid: broken\nversion: 1\nclaim: x\n"
        "task: {name: ioi}\nchecks:\n  - behaviour: {metric: logit_dif, min: 1}\n"
    )
    result = project.runpytest_subprocess("-n", "2", "--checkpoints=final", "--model-sizes=zoo-890k")
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*broken.mech.yaml:7: checks[[]0[]].behaviour.metric: unknown value 'logit_dif'*"]
    )


def test_unavailable_model_fails_fast_and_says_how_to_prefetch(project, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    start = time.perf_counter()
    result = project.runpytest_subprocess(
        "-n",
        "0",
        "--suite=pythia",
        "--model-sizes=pythia-70m",
        "--checkpoints=step1000,step2000",
        "--mech-report=rep",
    )
    result.assert_outcomes(failed=4)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*ModelUnavailable: EleutherAI/pythia-70m@step1000 is not on this machine*hf download*"]
    )
    cells = results(project)
    assert all(c["outcome"] == "error" for c in cells)
    assert all(c["seconds"] < 2.0 for c in cells if c["seconds"] is not None)
    assert time.perf_counter() - start < 60


def test_an_extra_model_is_judged_against_its_base(project):
    """--model against --baseline-model (e.g. a fine-tune against its base): the random init
    loses both claims zoo-890k holds. The base's own cells are the reference and pass."""
    result = project.runpytest_subprocess(
        "--model-sizes=none",
        "--baseline-model=pytest-mechanisms/zoo-890k@step2048",
        "--model=pytest-mechanisms/zoo-890k@step0",
        "--mech-report=rep",
    )
    result.assert_outcomes(passed=2, failed=2)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*induction-heads v1 @ pytest-mechanisms/zoo-890k@step0: the candidate lost what its base*"]
    )


def test_bad_option_values_are_reported(project):
    result = project.runpytest_subprocess("--checkpoints=step3")
    result.stderr.fnmatch_lines(["*step3 is not a checkpoint of this suite (nearest: step2)*"])
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_k_selects_cells(project):
    result = project.runpytest_subprocess("--collect-only", "-q", "-k", "890k and step2048")
    assert result.ret == 0
    assert sum("::" in line for line in result.outlines) == 2


@pytest.mark.parametrize("workers", ["2", "8"])
def test_each_checkpoint_loads_once_and_ids_match_a_plain_run(project, workers):
    """Under -n every model@checkpoint runs on one worker and is loaded exactly once there, and
    node ids are those of -n 0 (no xdist ``@group`` suffix for IDEs, --lf and JUnit)."""
    args = ("--model-sizes=zoo-40k,zoo-890k", "--checkpoints=step0,step512,final")
    assert project.runpytest_subprocess("-n", "0", *args, "--mech-report=plain").ret == 0
    result = project.runpytest_subprocess("-n", workers, *args, "--mech-report=xdist")
    assert result.ret == 0, result.stdout.str()[-3000:]
    assert "several workers" not in result.stdout.str()
    cells = results(project, "xdist")
    loads: dict = {}
    for c in cells:
        loads.setdefault((c["model_id"], c["revision"]), []).append((c["worker"], c["loaded_model"]))
    assert len(loads) == 6
    for group, runs in loads.items():
        assert len({w for w, _ in runs}) == 1, group
        assert sum(loaded for _, loaded in runs) == 1, group
    assert sorted(c["nodeid"] for c in cells) == sorted(c["nodeid"] for c in results(project, "plain"))
    assert all("@pytest-mechanisms" not in c["nodeid"] for c in cells)


def test_last_failed_reruns_only_the_failed_cell(project):
    """--lf must find spec items again (pytest 9.2 compares structured node ids); the rerun
    deselects the base's cells, so each candidate measures its base on demand."""
    args = (
        "--model-sizes=none",
        "--baseline-model=pytest-mechanisms/zoo-890k@step2048",
        "--model=pytest-mechanisms/zoo-890k@step0",
    )
    first = project.runpytest_subprocess(*args)
    first.assert_outcomes(passed=2, failed=2)
    again = project.runpytest_subprocess(*args, "--lf")
    again.assert_outcomes(failed=2)
    assert again.ret == 1 and "known failures not in selected tests" not in again.stdout.str()
    again.stdout.fnmatch_lines(["*the candidate lost what its base (pytest-mechanisms/zoo-890k) had*"])


def test_a_project_without_specs_runs_as_without_the_plugin(pytester):
    """Installed but unused, the plugin changes nothing: same items, same dist mode and scheduler,
    and YAML files that merely look like specs are never read."""
    pytester.makepyfile(test_plain="def test_a(): pass\ndef test_b(): pass\n")
    pytester.makeconftest(
        "def pytest_sessionfinish(session):\n    print('DIST', session.config.getvalue('dist'))\n"
    )
    (pytester.path / "docker-compose.yaml").write_text("claim: not a spec\nchecks: [1]\n")
    (pytester.path / "broken.yaml").write_text("\xff\xfe not yaml: [")
    runs = [
        pytester.runpytest_subprocess("-n", "2", "-v", "-s", *extra)
        for extra in ((), ("-p", "no:mechanisms"))
    ]
    for result in runs:
        assert result.ret == 0
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["*scheduling tests via LoadScheduling*", "*DIST load*"])
    plain = [
        pytester.runpytest_subprocess("--collect-only", "-q", *extra).outlines
        for extra in ((), ("-p", "no:mechanisms"))
    ]
    assert [line for line in plain[0] if "::" in line] == [line for line in plain[1] if "::" in line]


def test_an_error_cell_says_what_failed_in_a_few_lines(project):
    args = ("-n", "0", "--model-sizes=zoo-890k", "--checkpoints=final", "--model=./missing")
    result = project.runpytest_subprocess(*args)
    assert result.ret == 1
    out = result.stdout.str()
    section = out.split("induction-heads[missing@final] _")[1].split("\n_")[0].split("\n=")[0]
    assert len(section.strip().splitlines()) <= 15, section
    assert "ModelUnavailable: local model path missing does not exist" in section
    long = project.runpytest_subprocess(*args, "--tb=long").stdout.str()
    assert len(long.splitlines()) > len(out.splitlines()) + 20  # the full traceback, on request


def test_a_single_cell_under_xdist_finishes(project):
    """One one-item work unit per worker must still run (xdist workers hold their last item)."""
    (project.path / "ioi.mech.yaml").unlink()
    result = project.runpytest_subprocess(
        "-n", "2", "--model-sizes=zoo-890k", "--checkpoints=final", timeout=120
    )
    assert result.ret == 0
    result.assert_outcomes(passed=1)
