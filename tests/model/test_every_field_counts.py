"""Every field a check accepts changes its verdict, or is refused, or is declared to change
nothing but speed: a walk over the registry's schema, measured on the zoo.

For each check kind and each field of its schema there is a pair of checks that differ in that
field alone (and in nothing else), one that holds and one that does not, on zoo-890k@step2048.
Fields only a gate reads (``tolerance``, ``base_overlap``) flip a gate's verdict instead; a field
that cannot change alone (a circuit's ``metric``: one per task's answer format) is refused when
changed; ``batch_size`` must change no value at all. A field the schema gains without an entry
here fails ``test_every_schema_field_has_an_entry``.
"""

import re
from pathlib import Path

import pytest

import mechanisms
from mechanisms.gate.judge import judge
from mechanisms.record import BaseClaim
from mechanisms.spec import registry
from mechanisms.spec.loader import SpecError
from mechanisms.spec.schema import spec_schema

SIZE, STEP = "zoo-890k", 2048
IOI = "{name: ioi, params: {n_prompts: 16}}"
REPEATED = r'{name: repeated_tokens, params: {n_prompts: 16, pool: "^w\\d+$"}}'
GT = "{name: greater_than, params: {n_prompts: 32}}"
ZOO_WORDS = r'{repeated_tokens: {pool: "^w\\d+$"}}'

AB = "heads: {role: direct_effect_heads}, metric: logit_diff"
PATH = "senders: {layers: [0, 1]}, receivers: {role: direct_effect_heads}, into: v, metric: logit_diff"
CIRCUIT = "metric: logit_diff, max_edges: 100"
GTA = "circuit: {metric: prob_diff}, min_mlp_boost: 0.1"

# kind -> field -> (task, a check that holds, the same check with that field changed: absent)
FLIPS = {
    "behaviour": {
        "metric": (IOI, "{metric: logit_diff, min: 2}", "{metric: pair_accuracy, min: 2}"),
        "min": (IOI, "{metric: logit_diff, min: 1}", "{metric: logit_diff, min: 10}"),
        "max": (IOI, "{metric: logit_diff, max: 10}", "{metric: logit_diff, max: 5}"),
        "on": (IOI, "{metric: logit_diff, min: 1}", "{metric: logit_diff, min: 1, on: corrupted}"),
    },
    "heads": {
        "score": (REPEATED, "{score: induction, min: 0.5}", "{score: duplicate_token, min: 0.5}"),
        "role": (REPEATED, "{role: induction_heads}", "{role: successor_heads}"),
        "ids": (
            REPEATED,
            "{ids: [L1H2], score: induction, min: 0.5}",
            "{ids: [L2H2], score: induction, min: 0.5}",
        ),
        "min": (REPEATED, "{score: induction, min: 0.9}", "{score: induction, min: 0.995}"),
        "top": (
            REPEATED,
            "{score: induction, min: 0.5, at_least: 4}",
            "{score: induction, min: 0.5, at_least: 4, top: 3}",
        ),
        "layers": (
            REPEATED,
            "{score: induction, min: 0.5, layers: [1]}",
            "{score: induction, min: 0.5, layers: [0, 2, 3]}",
        ),
        "on": (
            GT,
            f"{{score: previous_token, min: 0.5, on: {ZOO_WORDS}}}",
            "{score: previous_token, min: 0.5}",
        ),
        "at_least": (
            REPEATED,
            "{score: induction, min: 0.5, at_least: 4}",
            "{score: induction, min: 0.5, at_least: 5}",
        ),
    },
    "ablation": {
        "heads": (
            IOI,
            f"{{{AB}, min_drop: 0.3}}",
            "{heads: {ids: [L0H2]}, metric: logit_diff, min_drop: 0.3}",
        ),
        "metric": (
            IOI,
            f"{{{AB}, min_drop: 0.8}}",
            "{heads: {role: direct_effect_heads}, metric: pair_accuracy, min_drop: 0.8}",
        ),
        "method": (IOI, f"{{{AB}, min_drop: 1.0, method: zero}}", f"{{{AB}, min_drop: 1.0}}"),
        "min_drop": (IOI, f"{{{AB}, min_drop: 0.3}}", f"{{{AB}, min_drop: 0.95}}"),
    },
    "path": {
        "senders": (
            IOI,
            f"{{{PATH}, min_damage: 0.3}}",
            "{senders: {ids: [L0H2]}, receivers: {role: direct_effect_heads}, into: v, "
            "metric: logit_diff, min_damage: 0.3}",
        ),
        "receivers": (
            IOI,
            f"{{{PATH}, min_damage: 0.3}}",
            "{senders: {layers: [0, 1]}, receivers: {ids: [L2H0]}, into: v, metric: logit_diff, "
            "min_damage: 0.3}",
        ),
        "into": (
            IOI,
            f"{{{PATH}, min_damage: 0.3}}",
            f"{{{PATH.replace('into: v', 'into: q')}, min_damage: 0.3}}",
        ),
        "metric": (
            IOI,
            f"{{{PATH}, min_damage: 0.3}}",
            f"{{{PATH.replace('logit_diff', 'pair_accuracy')}, min_damage: 0.3}}",
        ),
        "min_damage": (IOI, f"{{{PATH}, min_damage: 0.3}}", f"{{{PATH}, min_damage: 0.5}}"),
        "normalise": (IOI, f"{{{PATH}, min_damage: 0.5, normalise: clean}}", f"{{{PATH}, min_damage: 0.5}}"),
        "attention_shift": (
            IOI,
            f"{{{PATH}, min_damage: 0.3}}",
            f"{{{PATH}, min_damage: 0.3, attention_shift: true}}",
        ),
        "screen": (IOI, f"{{{PATH}, min_damage: 0.3}}", f"{{{PATH}, min_damage: 0.3, screen: 0.9}}"),
        "at_least": (IOI, f"{{{PATH}, min_damage: 0.3}}", f"{{{PATH}, min_damage: 0.3, at_least: 2}}"),
    },
    "share": {
        "heads": (
            IOI,
            "{heads: [{role: s_suppression_heads}], score: direct_effect, min: 0.5}",
            "{heads: [{ids: [L0H0]}], score: direct_effect, min: 0.5}",
        ),
        "score": (
            IOI,
            "{heads: [{role: s_suppression_heads}], score: direct_effect, min: 0.5}",
            "{heads: [{role: s_suppression_heads}], score: copy, min: 0.5}",
        ),
        "min": (
            IOI,
            "{heads: [{role: s_suppression_heads}], score: direct_effect, min: 0.5}",
            "{heads: [{role: s_suppression_heads}], score: direct_effect, min: 0.99}",
        ),
        "in_circuit": (
            IOI,
            "{heads: [{ids: [L0H0]}], score: direct_effect, min: 0.0}",
            "{heads: [{ids: [L0H0]}], score: direct_effect, min: 0.0, in_circuit: {metric: logit_diff}}",
        ),
    },
    "circuit": {
        "method": (
            IOI,
            "{metric: logit_diff, max_edges: 40, threshold: 0.95}",
            "{metric: logit_diff, max_edges: 40, threshold: 0.95, method: eap}",
        ),
        "ig_steps": (
            IOI,
            "{metric: logit_diff, max_edges: 40, threshold: 0.95}",
            "{metric: logit_diff, max_edges: 40, threshold: 0.95, ig_steps: 1}",
        ),
        "faithfulness": (
            IOI,
            "{metric: logit_diff, max_edges: 18, faithfulness: normalised}",
            "{metric: logit_diff, max_edges: 18}",
        ),
        "threshold": (
            IOI,
            "{metric: logit_diff, max_edges: 25}",
            "{metric: logit_diff, max_edges: 25, threshold: 0.95}",
        ),
        "min_metric": (IOI, f"{{{CIRCUIT}, min_metric: 1}}", f"{{{CIRCUIT}, min_metric: 10}}"),
        "cap": (IOI, f"{{{CIRCUIT}}}", f"{{{CIRCUIT}, cap: 10}}"),
        "max_edges": (IOI, f"{{{CIRCUIT}}}", "{metric: logit_diff, max_edges: 10}"),
        "max_nodes": (IOI, "{metric: logit_diff, max_nodes: 100}", "{metric: logit_diff, max_nodes: 5}"),
        "contains": (
            IOI,
            f"{{{CIRCUIT}, contains: {{ids: [L2H1]}}}}",
            f"{{{CIRCUIT}, contains: {{ids: [L0H0]}}}}",
        ),
    },
    "greater_than_algorithm": {
        "circuit": (GT, f"{{{GTA}}}", "{circuit: {metric: prob_diff, min_metric: 10}, min_mlp_boost: 0.1}"),
        "min_mlp_boost": (GT, f"{{{GTA}}}", "{circuit: {metric: prob_diff}, min_mlp_boost: 5}"),
        "min_yy_attention": (GT, f"{{{GTA}, min_yy_attention: 0.2}}", f"{{{GTA}, min_yy_attention: 0.99}}"),
        "at_least": (
            GT,
            f"{{{GTA}, min_yy_attention: 0.2}}",
            f"{{{GTA}, min_yy_attention: 0.2, at_least: 2}}",
        ),
    },
}
GATE_ONLY = {"tolerance", "base_overlap"}  # read by the gate alone (tested below / in test_gate.py)
SPEED_ONLY = {("circuit", "batch_size")}  # must change no value
REFUSED_ALONE = {("circuit", "metric")}  # one graded metric per answer format: another is refused
THRESHOLD_OF = {  # the field each kind's by_suite override below changes
    "behaviour": "min",
    "heads": "min",
    "ablation": "min_drop",
    "path": "min_damage",
    "share": "min",
    "circuit": "max_edges",
    "greater_than_algorithm": "min_mlp_boost",
}


def _spec(task: str, checks: list[str]):
    body = "\n".join(f"  - {kind}: {check}" for kind, check in checks)
    return mechanisms.spec_from_text(
        f"format: 1\nid: fields\nversion: 1\nclaim: one field flips\ntask: {task}\nchecks:\n{body}\n"
    )


def _by_suite(kind: str) -> tuple[str, str, str]:
    """The threshold pair of ``kind``, the failing value moved into ``by_suite: {zoo: ...}``."""
    field = THRESHOLD_OF[kind]
    task, holds, fails = FLIPS[kind][field]
    value = re.search(rf"\b{field}: ([^,}}]+)", fails).group(1)
    return task, holds, holds[:-1] + f", by_suite: {{zoo: {{{field}: {value}}}}}}}"


def _cases() -> dict[str, list[tuple[str, str, str, str]]]:
    """task -> [(kind.field, kind, holding check, failing check)], one spec per task and side."""
    by_task: dict[str, list] = {}
    for kind, fields in FLIPS.items():
        for field, (task, holds, fails) in {**fields, "by_suite": _by_suite(kind)}.items():
            by_task.setdefault(task, []).append((f"{kind}.{field}", kind, holds, fails))
    return by_task


CASES = _cases()


@pytest.fixture(scope="module")
def verdicts() -> dict[str, tuple[bool, bool, str]]:
    """``kind.field -> (holds with the first check, holds with the second, both summaries)``."""
    out = {}
    for task, cases in CASES.items():
        sides = []
        for side in (2, 3):
            record = mechanisms.measure_spec(_spec(task, [(c[1], c[side]) for c in cases]), SIZE, STEP)
            sides.append(record.checks)
        for (name, *_), a, b in zip(cases, *sides):
            out[name] = (a.holds, b.holds, f"{a.summary} | {b.summary}")
    return out


@pytest.mark.parametrize("name", [c[0] for cases in CASES.values() for c in cases])
def test_changing_this_field_alone_flips_the_verdict(name, verdicts):
    holds, changed, summaries = verdicts[name]
    assert (holds, changed) == (True, False), summaries


def test_every_schema_field_has_an_entry():
    kinds = spec_schema()["properties"]["checks"]["items"]["properties"]
    assert set(kinds) == set(registry.CHECK_KINDS) == set(FLIPS)
    missing = [
        f"{kind}.{field}"
        for kind, schema in kinds.items()
        for field in schema["properties"]
        if field not in FLIPS[kind]
        and field not in GATE_ONLY | {"by_suite"}
        and (kind, field) not in SPEED_ONLY | REFUSED_ALONE
    ]
    assert missing == []


def test_a_circuit_metric_changed_alone_is_refused():
    with pytest.raises(SpecError, match=r"'prob_diff' does not apply to task 'ioi'"):
        _spec(IOI, [("circuit", "{metric: prob_diff, max_edges: 100}")])


def test_batch_size_changes_no_value():
    record = mechanisms.measure_spec(
        _spec(IOI, [("circuit", f"{{{CIRCUIT}}}"), ("circuit", f"{{{CIRCUIT}, batch_size: 3}}")]), SIZE, STEP
    )
    plain, batched = record.checks
    assert plain.values == batched.values and plain.holds == batched.holds


def test_tolerance_flips_a_gates_verdict():
    """A fine-tune that lost some logit difference passes the default 20% and fails 5%."""
    candidate = str(Path(__file__).parents[2] / "fixtures" / "finetunes" / "zoo-890k-no-repeats")
    gates = []
    for check in (
        "{metric: logit_diff, min: 1}",
        "{metric: logit_diff, min: 1, tolerance: {may_fall: '5%'}}",
    ):
        spec = _spec(IOI, [("behaviour", check)])
        base, measured = mechanisms.measure_spec(spec, SIZE, STEP), mechanisms.measure_spec(spec, candidate)
        gates.append(
            judge(BaseClaim.of_record(base), measured, [(c.kind, c.settings("zoo")) for c in spec.checks])
        )
    assert [g.verdict for g in gates] == ["pass", "fail"], gates
