"""Adding a check kind is one module and one registry entry (``toy_kind.py``): the spec schema,
the loader's file:line errors, the measurement, the record and the gate's tolerance follow."""

import pytest
import toy_kind  # a module beside this test (tests/model is on sys.path), as a contributor's would be

import mechanisms
from mechanisms.gate.tolerance import Tolerance
from mechanisms.spec import registry
from mechanisms.spec.loader import SpecError
from mechanisms.spec.schema import spec_schema

SPEC = """format: 1
id: toy
version: 1
claim: a head of layer 1 attends to the first position
task: {{name: repeated_tokens, params: {{n_prompts: 8}}}}
checks:
  - first_token_attention: {{layer: 1, min: {min}}}
"""


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(registry.CHECK_KINDS, "first_token_attention", toy_kind.TOY_ENTRY)


def test_the_entry_is_in_the_schema_and_the_loader_checks_its_fields(toy):
    kinds = spec_schema()["properties"]["checks"]["items"]["properties"]
    assert kinds["first_token_attention"]["required"] == ["layer", "min"]
    with pytest.raises(SpecError, match=r"<string>:7: checks\[0\]\.first_token_attention\.min: "):
        mechanisms.spec_from_text(SPEC.format(min=2))


def test_the_new_kind_measures_and_its_verdict_follows_its_threshold(toy):
    holds = mechanisms.measure_spec(mechanisms.spec_from_text(SPEC.format(min=0.01)), "zoo-890k", 2048)
    fails = mechanisms.measure_spec(mechanisms.spec_from_text(SPEC.format(min=0.99)), "zoo-890k", 2048)
    (ok,), (bad,) = holds.checks, fails.checks
    assert ok.holds and not bad.holds and ok.values == bad.values  # one measurement, two judgements
    assert ok.headline.value == pytest.approx(max(ok.values["sink"].values()), abs=1e-4)
    assert 0 < ok.headline.value < 1 and ok.check == "first_token_attention[0]"
    assert (
        Tolerance.for_check("first_token_attention", toy_kind.Sink(layer=1, min=0.5)).text()
        == "may fall by at most 0.1"
    )


def test_without_its_entry_the_kind_is_refused():
    with pytest.raises(SpecError, match=r"first_token_attention"):
        mechanisms.spec_from_text(SPEC.format(min=0.5))
