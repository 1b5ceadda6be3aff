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
    for name in ("induction.yaml", "ioi.yaml"):
        shutil.copy(SPECS / name, pytester.path / name)
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    return pytester


def results(pytester, where="rep"):
    return json.loads((pytester.path / where / "results.json").read_text())["cells"]


def test_specs_become_items_over_sizes_and_checkpoints(project):
    result = project.runpytest_subprocess("--collect-only", "-q", "--checkpoints=step0,final", "--model-sizes=zoo-40k,zoo-890k")
    ids = [line for line in result.outlines if "::" in line]
    assert "induction.yaml::induction-heads[zoo-890k@step2048]" in ids
    assert len(ids) == 2 * 2 * 2


def test_xdist_run_prints_matrices_and_writes_results(project):
    result = project.runpytest_subprocess("-n", "2", "--checkpoints=step0,step512,final", "--mech-report=rep")
    result.assert_outcomes(passed=8, xfailed=16)
    result.stdout.fnmatch_lines(["*mechanism matrices*", "*induction-heads v1 [[]zoo[]]*",
                                 "*zoo-890k*✗*✓*✓*step 512 (1.05M tokens)*"])
    cells = results(project)
    assert len(cells) == 24 and {c["worker"] for c in cells} == {"gw0", "gw1"}
    first = next(c for c in cells if c["model"] == "zoo-890k" and c["step"] == 2048 and c["spec"] == "induction-heads")
    assert first["outcome"] == "holds" and first["provenance"]["weights_sha256"]
    assert first["checks"][0]["values"]["max_score"] > 0.4 and first["tokens"] == 2048 * 2048
    assert {"transformer-lens", "torch", "transformers"} <= set(first["provenance"])


def test_same_matrix_with_and_without_xdist(project):
    project.runpytest_subprocess("-n", "0", "--checkpoints=step512,final", "--mech-report=a")
    project.runpytest_subprocess("-n", "2", "--checkpoints=step512,final", "--mech-report=b")

    def key(cells):
        return sorted((c["spec"], c["model"], c["step"], c["outcome"], json.dumps(c["checks"], sort_keys=True)) for c in cells)

    assert key(results(project, "a")) == key(results(project, "b"))


def test_a_broken_spec_fails_alone(project):
    (project.path / "broken.yaml").write_text("format: 1\nid: broken\nversion: 1\nclaim: x\n"
                                              "task: {name: ioi}\nchecks:\n  - behaviour: {metric: logit_dif, min: 1}\n")
    result = project.runpytest_subprocess("-n", "2", "--checkpoints=final", "--model-sizes=zoo-890k")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*broken.yaml:7: checks[[]0[]].behaviour.metric: unknown value 'logit_dif'*"])


def test_unavailable_model_fails_fast_and_says_how_to_prefetch(project, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    start = time.perf_counter()
    result = project.runpytest_subprocess("-n", "0", "--suite=pythia", "--model-sizes=pythia-70m",
                               "--checkpoints=step1000,step2000", "--mech-report=rep")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*ModelUnavailable: EleutherAI/pythia-70m@step1000 is not on this machine*hf download*"])
    cells = results(project)
    assert all(c["outcome"] == "error" for c in cells)
    assert all(c["seconds"] < 2.0 for c in cells if "seconds" in c)
    assert time.perf_counter() - start < 60


def test_an_extra_model_is_gated_like_the_suite(project):
    """--model adds a row (e.g. a fine-tune) that must hold every claim; here the random init fails."""
    result = project.runpytest_subprocess("--checkpoints=final", "--model-sizes=zoo-890k",
                               "--model=pytest-mechanisms/zoo-890k@step0", "--mech-report=rep")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*claim does not hold where the spec expects it*"])


def test_bad_option_values_are_reported(project):
    result = project.runpytest_subprocess("--checkpoints=step3")
    result.stdout.fnmatch_lines(["*step3 is not a checkpoint of this suite (nearest: step2)*"])
    assert result.ret != 0


def test_k_selects_cells(project):
    result = project.runpytest_subprocess("--collect-only", "-q", "-k", "890k and step2048")
    assert sum("::" in line for line in result.outlines) == 2
