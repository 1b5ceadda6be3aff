"""Claims that span cells (stability over checkpoints, emergence across sizes) as test items of
their own, through pytester: the same verdicts with and without xdist, every checkpoint measured
once, deselected cells measured by the series item, and failure on untrained checkpoints."""

import json

import pytest

pytest_plugins = ["pytester"]

SPEC = """
format: 1
id: tiny-circuit
version: 1
claim: a small IOI circuit, stable over training and emerging together across sizes
applies_to: [zoo]
task: {name: ioi, params: {n_prompts: 12, seed: 0}}
checks:
  - circuit: {metric: logit_diff, min_metric: 1.0, ig_steps: 4, cap: 200}
across:
  - stability: {ewma: 0.5, from_step: FROM, min: 0.3}
  - emergence: {within: 2}
expect:
  zoo: {sizes: {zoo-250k: 1024, zoo-890k: 512}}
"""
RUN = ("--model-sizes=zoo-250k,zoo-890k", "-p", "no:randomly")


@pytest.fixture
def project(pytester):
    pytester.makefile(".mech.yaml", tiny=SPEC.replace("FROM", "1024"))
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    return pytester


def _run(pytester, *args, report="rep"):
    result = pytester.runpytest_subprocess(*RUN, f"--mech-report={report}", *args)
    document = json.loads((pytester.path / report / "results.json").read_text())
    return result, document


def _verdicts(document):
    return sorted(
        (s["series"], s["label"], s["holds"], json.dumps(s["values"], sort_keys=True))
        for s in document["series"]
    )


def test_series_items_give_the_same_verdicts_with_and_without_xdist(project):
    steps = "--checkpoints=step1024,step1536,step2048"
    plain, a = _run(project, "-n", "0", steps, report="a")
    assert plain.ret == 0, plain.stdout.str()[-3000:]
    spread, b = _run(project, "-n", "2", steps, "-v", report="b")
    assert spread.ret == 0, spread.stdout.str()[-3000:]
    spread.stdout.fnmatch_lines(
        [
            "*PASSED tiny.mech.yaml::tiny-circuit-stable[[]zoo-890k[]]*",
            "*PASSED tiny.mech.yaml::tiny-circuit-emerges[[]zoo[]]*",
            "*across cells*",
            "*tiny-circuit-stable[[]zoo-250k[]]*lowest*",
        ]
    )
    assert _verdicts(a) == _verdicts(b) and len(a["series"]) == 3
    assert all(not s["measured_here"] for s in b["series"])  # every cell by its own item, once
    assert len(b["cells"]) == 6 and len({(c["model"], c["step"]) for c in b["cells"]}) == 6
    assert "## Across cells" in (project.path / "b" / "matrix.md").read_text()
    assert "circuit" not in b["cells"][0]["checks"][0]  # circuit members stay out of results.json


def test_a_series_item_measures_the_cells_this_run_did_not_select(project):
    result, document = _run(project, "-n", "2", "--checkpoints=step1024,step2048", "-k", "stable")
    assert result.ret == 0, result.stdout.str()[-3000:]
    result.assert_outcomes(passed=2)
    assert not document["cells"]
    measured = sorted(label for s in document["series"] for label in s["measured_here"])
    assert measured == ["zoo-250k@step1024", "zoo-250k@step2048", "zoo-890k@step1024", "zoo-890k@step2048"]


def test_series_claims_fail_on_untrained_checkpoints(pytester):
    """Negative control: at initialisation (zoo step 0 is the random init) and one step later no
    circuit exists, so nothing is stable and nothing emerges."""
    pytester.makefile(".mech.yaml", tiny=SPEC.replace("FROM", "0"))
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    result, document = _run(pytester, "-n", "2", "--checkpoints=step0,step1")
    result.assert_outcomes(failed=3, xfailed=4)
    result.stdout.fnmatch_lines(
        [
            "*tiny-circuit-stable [[]zoo-250k[]]: stability claim does not hold where the spec expects it*",
            "*no circuit at step 0, 1*",
            "*needs onsets in two sizes; found 0*",
        ]
    )
    assert not any(s["holds"] for s in document["series"])
