"""The gate's rules on constructed records: tolerances, the claim-by-claim judgement, baseline
keys, the derived size of an extra model, and the space-form path options (no model)."""

import json
import struct
from dataclasses import replace

import pytest

from mechanisms.gate import baseline
from mechanisms.gate.judge import judge
from mechanisms.gate.tolerance import Tolerance
from mechanisms.options import space_form_problem
from mechanisms.plan.derive import parameter_count
from mechanisms.record import BaseClaim, CellRecord, CheckRecord, CircuitMembers, Headline
from mechanisms.report.summary import gate_tables
from mechanisms.spec import registry
from mechanisms.spec.loader import SpecError, load_spec


def typed(kind: str, fields: dict) -> tuple:
    """A check as the gate reads it: its kind and typed settings (``spec/settings.py``)."""
    return kind, registry.CHECK_KINDS[kind].settings_of(fields)


BEHAVIOUR = typed("behaviour", {"metric": "logit_diff", "min": 1.0})
HEADS = typed("heads", {"score": "induction", "min": 0.4})


def cell(outcome, *values, op=(">=", ">="), spec="s", model="m"):
    checks = [
        CheckRecord(f"c[{i}]", outcome == "holds", "s", headline=Headline("v", v, 1.0, op[i]))
        for i, v in enumerate(values)
    ]
    return CellRecord(spec, "zoo", model, 1, 1, "c", outcome=outcome, holds=outcome == "holds", checks=checks)


def base_of(outcome, *values, edges=None):
    return BaseClaim.of_record(replace(cell(outcome, *values), model="b", circuit_edges=edges))


def members(*edges):
    return {0: CircuitMembers({e: 1.0 for e in edges}, [], 0.0)}


def test_tolerances_relative_absolute_and_their_direction():
    assert Tolerance.for_check(*BEHAVIOUR).text() == "may fall by at most 20%"  # logit_diff's default
    assert Tolerance.for_check(*HEADS).text() == "may fall by at most 0.1"
    loss = Tolerance.for_check(*typed("behaviour", {"metric": "repeat_loss", "max": 1.0}))
    assert loss.direction == "may_rise" and loss.within(0.0005, 0.2) and not loss.within(0.0005, 0.3)
    given = Tolerance.for_check(
        *typed("behaviour", {"metric": "logit_diff", "min": 1, "tolerance": {"may_fall": "5%"}})
    )
    assert given.source == "spec" and given.within(8.0, 7.61) and not given.within(8.0, 7.59)
    assert given.within(-2.0, -2.09) and not given.within(-2.0, -2.11)  # relative to |base|
    role = Tolerance.for_check(*typed("heads", {"role": "direct_effect_heads"}))
    assert role.direction == "may_rise"  # a direct effect is better low (more negative)


def test_a_claim_the_base_held_must_hold_and_stay_within_tolerance():
    base = base_of("holds", 8.0, 0.9)
    kept = judge(base, cell("holds", 7.0, 0.85), [BEHAVIOUR, HEADS])
    assert kept.verdict == "pass" and kept.required
    weaker = judge(base, cell("holds", 6.0, 0.85), [BEHAVIOUR, HEADS])  # -25% > 20%
    assert weaker.verdict == "fail"
    assert weaker.reasons == ["c[0] v: base 8 -> candidate 6; may fall by at most 20% (at least 6.4)"]
    lost = judge(base, cell("absent", 7.9, 0.85), [BEHAVIOUR, HEADS])
    assert lost.verdict == "fail" and lost.reasons[0].startswith("the claim held on the base")


def test_a_circuit_is_compared_edge_by_edge_with_the_base_circuit():
    """Same size and faithfulness, other edges: reported always, failed where ``base_overlap`` is set."""
    circuit = typed("circuit", {"metric": "logit_diff", "max_edges": 100})
    strict = typed("circuit", {"metric": "logit_diff", "max_edges": 100, "base_overlap": 0.5})
    base = base_of("holds", 4.0, edges={"0": ["a->b", "b->logits", "input->a"]})
    same = members("a->b", "b->logits", "input->a")
    other = members("a->c", "c->logits", "input->a")
    kept = judge(base, cell("holds", 4.0), [circuit], other)
    assert kept.verdict == "pass" and kept.checks[0].overlap == 0.2  # 1 shared of 5
    assert judge(base, cell("holds", 4.0), [strict], same).verdict == "pass"
    moved = judge(base, cell("holds", 4.0), [strict], other)
    assert moved.verdict == "fail"
    assert moved.reasons == [
        "check 0: the circuit shares 20% of its edges with the base's (edge Jaccard; needs >= 50%)"
    ]
    unknown = judge(base_of("holds", 4.0), cell("holds", 4.0), [strict], same)  # an old baseline: no edges
    assert unknown.verdict == "fail" and "the base has no circuit" in unknown.reasons[0]
    record = replace(cell("holds", 4.0, spec="c"), gate=moved)
    assert "20% of edges shared" in gate_tables([record])


def test_a_claim_absent_on_the_base_is_reported_not_required():
    result = judge(base_of("absent", 0.5), cell("absent", 0.1), [BEHAVIOUR])
    assert result.verdict == "not required" and not result.required and result.reasons == []
    assert result.checks[0].within is False  # still measured and shown


def test_summary_table_names_base_candidate_change_and_verdict():
    record = cell("holds", 6.0, spec="ioi-behaviour", model="ft")
    record.gate = judge(replace(base_of("holds", 8.0), model="base"), record, [BEHAVIOUR])
    text = gate_tables([record])
    assert "### Mechanism gate: ft against base" in text
    assert "| ioi-behaviour | ✓ v 8 | ✓ v 6 | -25% (may fall 20%) | ❌ FAIL |" in text
    assert "1 of 1 required claims failed." in text


def test_baseline_key_names_what_changed(tmp_path):
    spec_file = tmp_path / "s.mech.yaml"
    spec_file.write_text(
        "format: 1\nid: s\nversion: 1\nclaim: c\ntask: {name: ioi}\n"
        "checks:\n  - behaviour: {metric: logit_diff, min: 1}\n"
    )
    spec = load_spec(spec_file)
    entry = {"spec_version": 1, "spec_sha256": spec.digest("zoo")}
    assert baseline.claim_key_changes(entry, spec, "zoo") == []
    spec_file.write_text(spec_file.read_text().replace("min: 1", "min: 2"))
    changed = baseline.claim_key_changes(entry, load_spec(spec_file), "zoo")
    assert changed == ["the spec's task, parameters or checks (thresholds, prompts' seed)"]
    assert baseline.claim_key_changes(None, spec, "zoo") == ["spec 's' is not in the baseline"]
    document = {
        "suite": "zoo",
        "base": {"prepend_bos": True},
        "device": "cpu",
        "libraries": {"torch": "2.13.0", "transformers": "5.23.0"},
    }
    changes = baseline.run_key_changes(
        document, "zoo", True, "cpu", {"torch": "2.14.0", "transformers": "5.23.0"}
    )
    assert "torch 2.13.0 -> 2.14.0" in changes and not any("transformers" in c for c in changes)


def test_a_tolerance_in_the_wrong_direction_is_a_spec_error(tmp_path):
    spec_file = tmp_path / "s.mech.yaml"
    spec_file.write_text(
        "format: 1\nid: s\nversion: 1\nclaim: c\ntask: {name: ioi}\n"
        "checks:\n  - behaviour: {metric: logit_diff, min: 1, tolerance: {may_rise: 1}}\n"
    )
    with pytest.raises(
        SpecError, match=r"s.mech.yaml:7: checks\[0\].behaviour.tolerance.may_rise: .*better high"
    ):
        load_spec(spec_file)


def test_parameter_count_reads_safetensors_headers(tmp_path):
    header = json.dumps(
        {
            "a": {"dtype": "F16", "shape": [3, 4], "data_offsets": [0, 24]},
            "b": {"dtype": "F16", "shape": [5], "data_offsets": [24, 34]},
            "__metadata__": {"format": "pt"},
        }
    ).encode()
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + bytes(34))
    assert parameter_count(tmp_path) == 17
    assert parameter_count(tmp_path / "missing") is None


def test_space_form_path_options_are_caught_only_where_they_mislead(tmp_path):
    outside = tmp_path / "ft"
    outside.mkdir()
    project = tmp_path / "project"
    (project / "rep").mkdir(parents=True)
    message = space_form_problem(["--model-sizes", "all", "--model", str(outside)], project)
    assert message.startswith(f"--model {outside}: write --model={outside} ")
    assert space_form_problem([f"--model={outside}"], project) is None  # the = form is one argument
    assert space_form_problem(["--mech-report", "rep"], project) is None  # inside: same rootdir
    assert space_form_problem(["--mech-report", str(tmp_path / "new")], project) is None  # not there yet


def test_an_extra_model_judged_by_no_size_says_why(tmp_path):
    from mechanisms.report.terminal import extra_model_lines

    lines = extra_model_lines(
        [
            replace(cell("holds", model=model), extra_model=True, derived_from=size)
            for model, size in (("org/variant", None), (str(tmp_path), None), ("org/fine-tune", "zoo-890k"))
        ]
    )
    text = "\n".join(lines)
    assert len(lines) == 3 and "org/fine-tune: judged by zoo-890k's expectations" in text
    assert "org/variant: not a local model directory" in text
    assert f"{tmp_path}: no size of the suite has its parameter count" in text
