"""Typed check settings (``spec/settings.py``): the loader's settings carry every default, the
settings classes and the schema name the same fields, and a spec's digest hashes what it wrote."""

from dataclasses import fields

import pytest

import mechanisms
from mechanisms.spec import registry
from mechanisms.spec.schema import spec_schema
from mechanisms.spec.settings import Ablation, Circuit, CircuitSearch, Selector

SPEC = """format: 1
id: s
version: 1
claim: c
task: {{name: ioi, params: {{n_prompts: 8}}}}
checks:
  - ablation: {{heads: {{role: name_movers, layers: [2, 3]}}, metric: logit_diff, min_drop: 0.2{extra}}}
  - circuit: {{metric: logit_diff, by_suite: {{pythia: {{max_edges: 1600}}}}}}
"""


def _spec(extra: str = ""):
    return mechanisms.spec_from_text(SPEC.format(extra=extra))


def test_the_loader_gives_typed_settings_with_every_default_filled_in():
    ablation, circuit = _spec().checks
    typed = ablation.settings("zoo")
    assert typed == Ablation(
        heads=Selector(role="name_movers", layers=(2, 3)), metric="logit_diff", min_drop=0.2
    )
    assert typed.method == "mean" and typed.heads.top is None  # defaults, stated once
    assert circuit.settings("zoo").ig_steps == registry.IG_STEPS
    assert circuit.settings("zoo").max_edges is None and circuit.settings("pythia").max_edges == 1600
    assert circuit.settings("zoo").search() == CircuitSearch(metric="logit_diff")


def test_a_default_made_explicit_measures_the_same_and_the_digest_hashes_what_was_written():
    implicit, explicit = _spec(), _spec(", method: mean")
    assert implicit.checks[0].settings("zoo") == explicit.checks[0].settings("zoo")
    assert implicit.digest("zoo") != explicit.digest("zoo")  # the spec's text changed
    assert implicit.digest("zoo") == _spec().digest("zoo")


@pytest.mark.parametrize("kind", sorted(registry.CHECK_KINDS))
def test_each_kinds_settings_class_has_exactly_the_schemas_fields(kind):
    schema = spec_schema()["properties"]["checks"]["items"]["properties"][kind]
    written = set(schema["properties"]) - {"by_suite"}
    typed = {f.name for f in fields(registry.load(registry.CHECK_KINDS[kind].settings))}
    assert written == typed
    for name, default in registry.load(registry.CHECK_KINDS[kind].settings).defaults().items():
        assert schema["properties"][name]["default"] == default  # the schema shows each default


@pytest.mark.parametrize("kind", sorted(registry.SERIES_KINDS))
def test_each_series_kinds_settings_class_has_exactly_the_schemas_fields(kind):
    schema = spec_schema()["properties"]["across"]["items"]["properties"][kind]
    written = set(schema["properties"]) - {"name", "expect"}
    assert written == {f.name for f in fields(registry.load(registry.SERIES_KINDS[kind].settings))}


def test_settings_refuse_a_name_they_do_not_have():
    with pytest.raises(ValueError, match="Circuit has no setting max_edge"):
        Circuit.from_spec({"metric": "logit_diff", "max_edge": 3})


def test_a_check_kind_without_a_settings_class_is_refused_when_registered():
    with pytest.raises(ValueError, match="name its typed settings class"):
        registry.CheckKind("m:f", "a kind")
