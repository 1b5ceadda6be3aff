"""Fields of a head selector change the verdict they claim to (issue: a spec can pass where it
should fail, silently), measured on the zoo through the public Python API."""

import pytest

import mechanisms
from mechanisms.spec.loader import SpecError

ZOO_WORDS = r"^w\\d+$"  # the zoo's filler words, escaped for a double-quoted YAML string


def spec(checks: str, task: str = "repeated_tokens", params: str = "{n_prompts: 16}") -> object:
    return mechanisms.spec_from_text(
        f"""
format: 1
id: fields
version: 1
claim: a selector field at work
task: {{name: {task}, params: {params}}}
checks:
{checks}
"""
    )


def verdicts(text: str, model: str = "zoo-890k", step: int = 2048) -> list[bool]:
    record = mechanisms.measure_spec(text, model, step)
    return [c.holds for c in record.checks]


def test_min_with_a_role_keeps_only_the_role_heads_that_pass_it():
    params = f'{{n_prompts: 16, pool: "{ZOO_WORDS}"}}'
    checks = """
  - heads: {role: induction_heads}
  - heads: {role: induction_heads, min: 0.995}
  - heads: {role: induction_heads, min: 0.9}
"""
    record = mechanisms.measure_spec(spec(checks, params=params), "zoo-890k", 2048)
    role, strict, loose = record.checks
    assert role.holds and loose.holds
    assert not strict.holds  # it held before: min was printed but not applied
    assert strict.values["n_heads"] == 0 and strict.values["best_score"] < 0.995
    assert "induction_heads >= 0.995" in strict.summary


def test_min_is_refused_for_a_role_ranked_lowest_first_and_for_bare_ids():
    with pytest.raises(SpecError, match=r"checks\[0\]\.heads\.min: min keeps a role's heads"):
        spec("  - heads: {role: direct_effect_heads, min: 0.5}", task="ioi")
    with pytest.raises(SpecError, match=r"checks\[0\]\.heads\.min: min thresholds a score"):
        spec("  - heads: {ids: [L0H0], min: 0.5}")
    with pytest.raises(SpecError, match=r"checks\[0\]\.heads\.layers: layers narrows"):
        spec("  - heads: {ids: [L0H0], layers: [0]}")


def test_head_scores_are_read_on_the_prompts_the_selector_names():
    """A previous-token check in a greater-than spec reads the greater-than prompts (by default)
    or the prompt set it names; the record says which, and the choice flips the verdict."""
    checks = f"""
  - heads: {{score: previous_token, min: 0.5, layers: [0]}}
  - heads: {{score: previous_token, min: 0.5, layers: [0], on: task}}
  - heads: {{score: previous_token, min: 0.5, layers: [0], on: {{repeated_tokens: {{pool: "{ZOO_WORDS}"}}}}}}
"""
    record = mechanisms.measure_spec(spec(checks, task="greater_than"), "zoo-890k", 2048)
    default, task, named = record.checks
    assert default.values["prompts"] == {"previous_token": "greater_than(n_prompts=16, seed=0)"}
    assert task.values == default.values
    assert named.values["prompts"]["previous_token"].startswith("repeated_tokens(n_prompts=32, pool=^w\\d+$")
    assert [default.holds, named.holds] == [False, True]


def test_induction_scores_need_repeated_prompts():
    with pytest.raises(SpecError, match=r"induction reads repeated spans, which task 'ioi' does not have"):
        spec("  - heads: {score: induction, min: 0.4, on: task}", task="ioi")
    with pytest.raises(SpecError, match=r"on: on names the prompts attention-pattern scores"):
        spec("  - heads: {score: copy, min: 0.1, on: task}", task="ioi")
    record = mechanisms.measure_spec(
        spec(
            "  - heads: {score: induction, min: 0.4, on: {repeated_tokens: {span: 10, seed: 3}}}", task="ioi"
        ),
        "zoo-890k",
        2048,
    )
    assert record.checks[0].values["prompts"] == {
        "induction": "repeated_tokens(n_prompts=32, pool=all, seed=3, span=10)"
    }


def test_measure_spec_takes_a_path_a_size_and_a_checkpoint(tmp_path):
    path = tmp_path / "x.mech.yaml"
    path.write_text(
        "format: 1\nid: x\nversion: 1\nclaim: c\ntask: {name: ioi, params: {n_prompts: 8}}\n"
        "checks:\n  - behaviour: {metric: logit_diff, min: 1}\nexpect:\n  zoo: {sizes: {zoo-890k: 512}}\n"
    )
    early, late = (mechanisms.measure_spec(path, "zoo-890k", step) for step in (0, "step2048"))
    assert (early.holds, early.expected, early.revision) == (False, False, "step0")
    assert (late.holds, late.expected, late.model) == (True, True, "zoo-890k")
    assert late.task_params["n_prompts"] == 8 and late.provenance.weights_sha256
