"""Spec validation: every error names file, line and field."""

import pytest

from mechanisms.spec.loader import SpecError, parse_spec

GOOD = """\
format: 1
id: induction-heads
version: 1
claim: Induction heads exist.
task:
  name: repeated_tokens
  params: {span: 15}
checks:
  - heads: {score: induction, min: 0.4}
  - behaviour: {metric: repeat_loss, max: 1.0}
expect:
  zoo: {sizes: {zoo-890k: 512}}
"""


def error_of(text):
    with pytest.raises(SpecError) as info:
        parse_spec(text, "claims/x.yaml")
    return str(info.value)


def test_good_spec_parses_with_defaults():
    spec = parse_spec(GOOD, "x.yaml")
    assert spec.task_params == {"n_prompts": 32, "seed": 0, "span": 15, "pool": "all"}
    assert [c.kind for c in spec.checks] == ["heads", "behaviour"]


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("max: 1.0}", "maxx: 1.0}", "claims/x.yaml:10: checks[1].behaviour.maxx: unknown field 'maxx'"),
        ("span: 15", "span: fifteen", "claims/x.yaml:7: task.params.span: must be int"),
        (
            "metric: repeat_loss",
            "metric: logit_diff",
            "claims/x.yaml:10: checks[1].behaviour.metric: 'logit_diff' does not apply",
        ),
        (
            "score: induction",
            "score: copy",
            "claims/x.yaml:9: checks[0].heads.score: 'copy' is measured on task 'ioi'",
        ),
        (
            "score: induction",
            "score: inducton",
            "claims/x.yaml:9: checks[0].heads.score: unknown value 'inducton' (did you mean 'induction'?)",
        ),
        (
            "  zoo: {",
            "  zooo: {",
            "claims/x.yaml:12: expect.zooo: unknown value 'zooo' (did you mean 'zoo'?)",
        ),
        (
            "score: induction",
            "score: banana",
            "claims/x.yaml:9: checks[0].heads.score: unknown value 'banana'; expected one of",
        ),
        ("version: 1", "version: one", "claims/x.yaml:3: version: must be integer"),
        ("format: 1", "format: 2", "claims/x.yaml:1: format: must be 1"),
        (
            "claim: Induction heads exist.\n",
            "",
            "claims/x.yaml:1: (top level): missing required field 'claim'",
        ),
        (
            "  - behaviour: {metric: repeat_loss, max: 1.0}",
            "  - behaviour: {metric: repeat_loss}",
            "checks[1].behaviour: give exactly one threshold",
        ),
        (
            "  - heads: {score: induction, min: 0.4}",
            "  - heads: {score: induction, min: 0.4}\n    behaviour: {metric: repeat_loss, max: 1}",
            "exactly one of behaviour, heads, ablation, path",
        ),
        ("version: 1", "version: 1\nversion: 2", "claims/x.yaml:4: version: duplicate key"),
        (
            "  params: {span: 15}",
            "  params: {span: 15, spam: 3}",
            "claims/x.yaml:7: task.params.spam: unknown parameter 'spam'",
        ),
        (
            "  - heads: {score: induction, min: 0.4}",
            "  - share: {heads: {role: induction_heads}, score: induction, min: 0.5}",
            "claims/x.yaml:9: checks[0].share.heads: must be array",
        ),
        (
            "  - heads: {score: induction, min: 0.4}",
            "  - share: {heads: [{role: induction_heads}], score: copy, min: 0.5}",
            "claims/x.yaml:9: checks[0].share.score: 'copy' is measured on task 'ioi'",
        ),
        (
            "  - heads: {score: induction, min: 0.4}",
            "  - share: {heads: [{role: name_movers}], score: induction, min: 0.5}",
            "checks[0].share.heads[0].role: 'name_movers' is measured on task 'ioi'",
        ),
    ],
)
def test_errors_name_file_line_and_field(old, new, expected):
    assert old in GOOD
    assert expected in error_of(GOOD.replace(old, new))


def test_a_spec_that_asserts_nothing_is_an_error():
    text = GOOD.split("checks:")[0] + "checks: []\n"
    assert "checks: needs at least 1 item(s)" in error_of(text)


def test_yaml_syntax_error_has_a_line():
    assert error_of("format: 1\nid: [unclosed\n").startswith("claims/x.yaml:3: (yaml)")


def test_unsafe_yaml_tags_are_refused():
    assert "(yaml)" in error_of("!!python/object/apply:os.system ['echo hi']\n")


def test_expectation_forms():
    spec = parse_spec(GOOD, "x.yaml")
    assert spec.expected("zoo", "zoo-890k", 512) and not spec.expected("zoo", "zoo-890k", 256)
    assert not spec.expected("zoo", "zoo-40k", 2048)
    assert spec.expected("pythia", "pythia-70m", 0) is None  # a suite it does not name: not asserted
    everywhere = parse_spec(GOOD.replace("expect:\n", "expect:\n  pythia: all\n", 1), "x.yaml")
    assert everywhere.expected("pythia", "pythia-70m", 0) is True
    assert everywhere.expected("zoo", "zoo-40k", 2048) is False  # the other suite's entry stands
    unstable = parse_spec(GOOD.replace("512}}", "512}, unstable: [zoo-890k@step256]}"), "x.yaml")
    assert unstable.expected("zoo", "zoo-890k", 256) is None


def test_an_expectation_other_than_all_is_refused_at_its_line():
    message = error_of(GOOD.replace("expect:\n", "expect:\n  pythia: everywhere\n", 1))
    assert "expect.pythia" in message and "'everywhere'" in message and "all" in message


def test_cells_the_source_does_not_cover_are_measured_not_asserted():
    text = GOOD.replace(
        "  zoo: {sizes: {zoo-890k: 512}}",
        "  zoo: {sizes: {zoo-890k: 512}}\n  pythia: {sizes: {pythia-2.8b: 3000}, not_covered: [pythia-70m, pythia-2.8b@<step3000]}",
    )
    spec = parse_spec(text, "x.yaml")
    assert spec.expected("pythia", "pythia-2.8b", 3000) is True
    assert spec.expected("pythia", "pythia-2.8b", 2000) is None  # before the paper's first number
    assert spec.expected("pythia", "pythia-70m", 143000) is None
    assert spec.expected("pythia", "pythia-160m", 143000) is False  # covered, and absent
    everything = parse_spec(
        GOOD.replace("  zoo: {sizes: {zoo-890k: 512}}", "  pythia: {not_covered: [all]}"), "x.yaml"
    )
    assert everything.expected("pythia", "pythia-12b", 1000) is None
    assert "has no size 'pythia-7b'" in error_of(text.replace("pythia-70m,", "pythia-7b,"))


GT = """\
format: 1
id: gt
version: 1
claim: The greater-than circuit works the known way.
task: {name: greater_than}
checks:
  - greater_than_algorithm:
      circuit: {metric: prob_diff}
      min_mlp_boost: 0.2
expect:
  zoo: {sizes: all}
"""


def test_circuit_settings_inside_a_check_are_validated_like_a_circuit_check():
    assert parse_spec(GT, "x.yaml").checks[0].fields["circuit"] == {"metric": "prob_diff"}
    assert (
        "claims/x.yaml:8: checks[0].greater_than_algorithm.circuit.metric: 'logit_diff' does not apply"
        in error_of(GT.replace("metric: prob_diff", "metric: logit_diff"))
    )
    assert "checks[0].greater_than_algorithm.circuit.max_edges: unknown field" in error_of(
        GT.replace("{metric: prob_diff}", "{metric: prob_diff, max_edges: 3}")
    )


def test_the_greater_than_algorithm_needs_the_greater_than_task():
    text = GT.replace("task: {name: greater_than}", "task: {name: ioi}").replace("prob_diff", "logit_diff")
    assert "checks[0].greater_than_algorithm: greater_than_algorithm reads the years" in error_of(text)


def test_a_share_in_a_circuit_needs_a_task_with_a_circuit_metric():
    text = GOOD.replace(
        "  - heads: {score: induction, min: 0.4}",
        "  - share: {heads: [{score: induction, min: 0.4}], score: induction, min: 0.5, "
        "in_circuit: {metric: repeat_loss}}",
    )
    assert "claims/x.yaml:9: checks[0].share.in_circuit.metric: unknown value 'repeat_loss'" in error_of(text)


def test_the_s_inhibition_screen_is_for_ioi_only():
    text = GT.replace(
        "  - greater_than_algorithm:\n      circuit: {metric: prob_diff}\n      min_mlp_boost: 0.2\n",
        "  - path: {senders: {}, receivers: {ids: [L1H0]}, metric: prob_diff, min_damage: 0.1, screen: 0.001}\n",
    )
    assert "checks[0].path.screen: screen patches from IOI's S2=IO prompts: task 'ioi' only" in error_of(text)


def test_an_ioi_spec_may_select_heads_by_a_portable_attention_score():
    """Induction and duplicate-token scores are properties of the model (read from the
    repeated-token prompts whatever the spec's task), so an IOI spec may name them and the roles
    built on them; a score that needs IOI's names still may not appear in a repeated-token spec."""
    ioi = GOOD.replace("name: repeated_tokens\n  params: {span: 15}", "name: ioi\n  params: {}").replace(
        "  - behaviour: {metric: repeat_loss, max: 1.0}\n", ""
    )
    spec = parse_spec(
        ioi.replace("score: induction, min: 0.4", "role: induction_into_s_inhibition"), "x.yaml"
    )
    assert spec.task == "ioi"
    parse_spec(ioi, "x.yaml")  # the score itself
    assert "'s_inhibition_heads' is measured on task 'ioi'" in error_of(
        GOOD.replace("score: induction, min: 0.4", "role: s_inhibition_heads")
    )


def test_every_problem_of_a_spec_is_reported_at_once():
    text = (
        "format: 1\nid: x\nversion: 1\nclaim: c\ntask: {name: ioi}\nchecks:\n"
        "  - heads: {score: copy, mni: 0.1}\n"
        "  - behaviour: {metric: logit_dif, min: 1}\n"
        "  - heads: {role: name_mover, at_least: 0}\n"
    )
    with pytest.raises(SpecError) as info:
        parse_spec(text, "many.mech.yaml")
    lines = str(info.value).splitlines()
    assert lines[0] == (
        "many.mech.yaml:7: checks[0].heads.mni: unknown field 'mni'; known: score, role, ids, min, "
        "top, layers, on, at_least, tolerance, by_suite"
    )
    assert [line.split(": ")[1] for line in lines] == [
        "checks[0].heads.mni",
        "checks[1].behaviour.metric",
        "checks[2].heads.role",
        "checks[2].heads.at_least",
    ]
    assert len(info.value.problems) == 4 and info.value.line == 7


def test_reported_problems_are_bounded():
    from mechanisms.spec.loader import MAX_ERRORS

    checks = "".join(f"  - heads: {{score: copy, min: 0.1, bad{i}: 1}}\n" for i in range(40))
    text = f"format: 1\nid: x\nversion: 1\nclaim: c\ntask: {{name: ioi}}\nchecks:\n{checks}"
    with pytest.raises(SpecError) as info:
        parse_spec(text, "big.mech.yaml")
    lines = str(info.value).splitlines()
    assert len(lines) == MAX_ERRORS + 1 and lines[-1].endswith(
        f"more problems not shown (at most {MAX_ERRORS} are)"
    )


def test_on_off_yes_no_are_strings_not_booleans():
    """YAML 1.1 reads the key ``on`` as True: ``on: task`` would be refused as an unknown field."""
    text = (
        "format: 1\nid: x\nversion: 1\nclaim: c\ntask: {name: ioi}\nchecks:\n"
        "  - behaviour: {metric: logit_diff, min: 1, on: corrupted}\n"
        "  - heads: {score: previous_token, min: 0.5, on: task}\n"
    )
    spec = parse_spec(text, "on.mech.yaml")
    assert spec.checks[0].fields["on"] == "corrupted" and spec.checks[1].fields["on"] == "task"
    with pytest.raises(SpecError, match=r"attention_shift: must be boolean, got str 'yes'"):
        parse_spec(
            text.replace(
                "on: task}",
                "on: task}\n  - path: {senders: {score: copy, min: 0.1}, "
                "receivers: {score: copy, min: 0.1}, metric: logit_diff, min_damage: 0.1, "
                "attention_shift: yes}",
            ),
            "yes.mech.yaml",
        )


def test_layers_no_size_has_are_refused_at_load_and_advice_names_real_sizes():
    """`layers: [7]` on the zoo used to fail every cell at run time suggesting applies_to, which
    cannot help where no size has 8 layers."""
    text = (
        "format: 1\nid: x\nversion: 1\nclaim: c\ntask: {name: ioi}\napplies_to: [zoo]\nchecks:\n"
        "  - heads: {score: copy, min: 0.1, layers: [7]}\n"
    )
    with pytest.raises(
        SpecError,
        match=r"x.mech.yaml:8: checks\[0\].heads.layers: layer\(s\) \[7\] exist in no "
        r"size this spec applies to \(the deepest, zoo:zoo-250k, has 4 layer\(s\): 0-3\)",
    ):
        parse_spec(text, "x.mech.yaml")
    assert parse_spec(text.replace("[7]", "[3]"), "x.mech.yaml")  # zoo-250k and up have layer 3
    assert parse_spec(text.replace("applies_to: [zoo]\n", ""), "x.mech.yaml")  # pythia-12b has 36
