"""Claims over a series of cells: the definitions pinned by constructed answers, the spec rules,
the cell store's waiting, and where series items go in xdist's schedule."""

import pytest

from mechanisms.cellstore import CellStore
from mechanisms.measure.series import (
    CircuitAt,
    StabilityRule,
    emergence,
    ewma,
    jaccard,
    onset,
    stability,
    weighted_jaccard,
)
from mechanisms.record import CellEntry, SeriesRecord
from mechanisms.scheduling import cell_of, label_of
from mechanisms.spec.loader import SpecError, parse_spec

GLOBS = ("*.mech.yaml",)


def test_jaccard_and_its_weighted_form():
    assert jaccard({"a", "b", "c"}, {"b", "c", "d"}) == pytest.approx(2 / 4)
    assert jaccard(set(), set()) == 0.0  # no circuit is not a stable circuit
    # sum min / sum max: min(0.5,0.2)+min(0.5,0)+min(0,0.8) = 0.2; max: 0.5+0.5+0.8 = 1.8
    assert weighted_jaccard({"a": 0.5, "b": 0.5}, {"a": 0.2, "c": 0.8}) == pytest.approx(0.2 / 1.8)
    assert weighted_jaccard({"a": 1.0}, {"a": 1.0}) == 1.0


def test_ewma_is_pandas_adjust_false():
    # s0 = x0; s_t = 0.5 x_t + 0.5 s_{t-1}  (pandas Series.ewm(alpha=0.5, adjust=False).mean())
    assert ewma([0.2, 1.0, 0.6], 0.5) == pytest.approx([0.2, 0.6, 0.6])
    assert ewma([], 0.5) == []


def _at(step, edges, nodes=("input", "logits"), total=10.0):
    return CircuitAt(step, step * 100, edges if edges is None else dict(edges), tuple(nodes), total)


def test_stability_cuts_the_series_before_smoothing():
    circuits = [
        _at(0, {"x": 1.0}),  # before from_step: ignored, not smoothed in
        _at(10, {"a": 1.0, "b": 1.0}),
        _at(20, {"a": 1.0, "b": 1.0}),
        _at(30, {"a": 1.0, "c": 1.0}),
    ]
    result = stability(circuits, StabilityRule(from_step=10, ewma=0.5, min=0.6))
    assert [p["similarity"] for p in result.pairs] == pytest.approx([1.0, 1 / 3])
    assert [p["value"] for p in result.pairs] == pytest.approx([1.0, 2 / 3])
    assert result.holds and result.lowest == pytest.approx(2 / 3)
    raw = stability(circuits, StabilityRule(from_step=10, min=0.6))
    assert not raw.holds and raw.lowest == pytest.approx(1 / 3)  # unsmoothed, the last pair fails


def test_stability_against_the_last_checkpoint_and_by_nodes():
    circuits = [
        _at(1, {"a": 1}, nodes=("a", "b")),
        _at(2, {"b": 1}, nodes=("a", "b")),
        _at(3, {"a": 1}, nodes=("a",)),
    ]
    final = stability(circuits, StabilityRule(compare="final", min=0.5))
    assert [(p["from"], p["to"], p["similarity"]) for p in final.pairs] == [(1, 3, 1.0), (2, 3, 0.0)]
    nodes = stability(circuits, StabilityRule(of="nodes", min=0.5))
    assert [p["similarity"] for p in nodes.pairs] == [1.0, 0.5]


def test_stability_weights_are_score_shares_of_the_whole_graph():
    a = CircuitAt(1, None, {"e": 2.0, "f": -2.0}, (), abs_score_total=8.0)  # weights 0.25, 0.25
    b = CircuitAt(2, None, {"e": 1.0}, (), abs_score_total=2.0)  # weight 0.5
    result = stability([a, b], StabilityRule(weighted=True, min=0.0))
    assert result.pairs[0]["similarity"] == pytest.approx(0.25 / (0.5 + 0.25))


def test_a_checkpoint_without_a_circuit_fails_stability():
    result = stability([_at(1, None), _at(2, None)], StabilityRule(min=0.1))
    assert not result.holds and result.lowest == 0.0
    assert "no circuit at step 1, 2" in result.problem
    assert "two checkpoints" in stability([_at(1, {"a": 1})], StabilityRule()).problem


def test_onset_is_the_start_of_the_last_run_of_holds():
    assert onset([False, True, False, True, True]) == 3
    assert onset([True, True]) == 0
    assert onset([True, False]) is None
    assert onset([]) is None


def test_emergence_within_a_factor_in_tokens():
    rows = {
        "small": [(0, 0, False), (4, 400, False), (8, 800, True), (16, 1600, True)],
        "big": [(0, 0, False), (4, 400, True), (8, 800, True), (16, 1600, True)],
        "tiny": [(0, 0, False), (16, 1600, False)],
    }
    result = emergence(rows, within=2.0)
    assert result.onsets == {
        "small": {"step": 8, "tokens": 800},
        "big": {"step": 4, "tokens": 400},
        "tiny": None,
    }
    assert result.ratio == 2.0 and result.holds  # the factor is inclusive
    assert not emergence(rows, within=1.5).holds
    assert "never holds stably in tiny" in emergence(rows, 2.0, required=["tiny"]).problem


def test_emergence_fails_without_two_onsets_or_when_present_at_initialisation():
    never = {"a": [(0, 0, False), (8, 800, False)], "b": [(0, 0, False), (8, 800, False)]}
    assert "needs onsets in two sizes; found 0" in emergence(never, 2.0).problem
    at_init = {"a": [(0, 0, True), (8, 800, True)], "b": [(0, 0, False), (8, 800, True)]}
    assert "initialisation" in emergence(at_init, 2.0).problem


SPEC = """
format: 1
id: s
version: 1
claim: c
applies_to: [zoo]
task: {name: ioi, params: {n_prompts: 8}}
checks:
  - behaviour: {metric: logit_diff, min: 1.0}
{checks}
across:
{across}
"""


def _spec(across: str, checks: str = "  - circuit: {metric: logit_diff}"):
    return parse_spec(SPEC.replace("{checks}", checks).replace("{across}", across), "s.mech.yaml")


def test_series_claims_parse_with_their_defaults():
    spec = _spec(
        "  - stability: {min: 0.5, expect: {zoo: {sizes: [zoo-890k]}}}\n  - emergence: {name: ioi-early}"
    )
    stable, emerges = spec.series
    assert (stable.name, stable.settings.check) == ("s-stable", 1)  # the spec's circuit check
    assert stable.expected("zoo", "zoo-890k") is True and stable.expected("zoo", "zoo-40k") is False
    assert emerges.name == "ioi-early" and emerges.expected("zoo") is None  # the spec names no suite
    named = parse_spec(
        SPEC.replace("{checks}", "  - circuit: {metric: logit_diff}").replace("{across}", "  - emergence: {}")
        + "expect:\n  zoo: all\n",
        "s.mech.yaml",
    )
    assert named.series[0].expected("zoo") is True  # a suite the spec names: asserted


@pytest.mark.parametrize(
    ("across", "checks", "where", "message"),
    [
        (
            "  - stability: {min: 0.5}",
            "",
            "across[0].stability",
            "reads a `circuit` check of this spec, which has none",
        ),
        ("  - stability: {min: 0.5, check: 0}", None, "across[0].stability.check", "e.g. check 1"),
        ("  - stability: {min: 0.5, check: 7}", None, "across[0].stability.check", "index 0..1"),
        ("  - stability: {min: 0.5, of: nodes, weighted: true}", None, "weighted", "applies to `of: edges`"),
        ("  - stability: {min: 1.5}", None, "across[0].stability.min", "must be <= 1"),
        ("  - stability: {min: 0.5, ewma: 0}", None, "ewma", "must be > 0"),
        ("  - emergence: {}\n  - emergence: {}", None, "across[1].emergence", "names another item"),
        (
            "  - emergence: {sizes: [zoo-9m]}",
            None,
            "sizes[0]",
            "no suite this spec applies to has a size 'zoo-9m'",
        ),
        ("  - emergence: {expect: {zoo: {sizes: [zoo-890k]}}}", None, "expect.zoo", "one item per suite"),
        ("  - emergence: {within: 0.5}", None, "within", "must be >= 1"),
    ],
)
def test_bad_series_claims_name_their_field(across, checks, where, message):
    with pytest.raises(SpecError) as error:
        _spec(across, "  - circuit: {metric: logit_diff}" if checks is None else checks)
    assert where in error.value.where and message in error.value.message, str(error.value)
    assert error.value.line > 1


def test_the_store_waits_while_the_run_progresses_and_gives_up_when_it_stalls(tmp_path):
    store = CellStore(str(tmp_path / "cells"))
    clock = {"calls": 0}

    def entry(holds):
        return CellEntry(step=1, tokens=None, holds=holds, error=None, checks=[])

    def sleep(_):  # another worker finishes one cell per poll, then the last one arrives
        clock["calls"] += 1
        store.put("other", f"c{clock['calls']}", entry(True))
        if clock["calls"] == 5:
            store.put("s", "b@step1", entry(True))

    store.put("s", "a@step1", entry(False))
    found, missing = store.wait("s", ["a@step1", "b@step1"], patience=0.5, poll=0, sleep=sleep)
    assert set(found) == {"a@step1", "b@step1"} and not missing
    found, missing = store.wait("s", ["a@step1", "gone@step1"], patience=0.05, poll=0.01)
    assert missing == ["gone@step1"] and set(found) == {"a@step1"}
    store.remove()
    assert store.get("s", "a@step1") is None


def test_series_items_are_read_as_labels_not_cells():
    ids = [
        "a.mech.yaml::x[m@step1]",
        "a.mech.yaml::x-stable[m]",
        "a.mech.yaml::x-emerges[zoo]",
        "t.py::test_z",
    ]
    assert [cell_of(i, GLOBS) for i in ids] == ["m@step1", None, None, None]
    assert label_of(ids[2], GLOBS) == "zoo"


def test_series_defaults_come_from_their_settings_class_once():
    """The loader fills every optional series field from its typed settings (spec/settings.py),
    and the report's rule text reads the same value (it once hard-coded its own `within`)."""
    from mechanisms.report.series import _rule_text
    from mechanisms.spec import registry
    from mechanisms.spec.settings import Stability

    spec = _spec("  - stability: {min: 0.5}\n  - emergence: {}")
    stable, emerges = spec.series
    assert stable.settings == Stability(min=0.5, check=1)
    assert stable.settings.rule() == {
        "min": 0.5,
        "check": 1,
        "of": "edges",
        "weighted": False,
        "compare": "consecutive",
        "from_step": 0,
    }
    assert emerges.settings.within == registry.EMERGENCE_WITHIN
    older = SeriesRecord("s", "emerges", "zoo", "zoo", True, "", kind="emergence")  # without the field
    text = _rule_text(older)
    assert f"factor {registry.EMERGENCE_WITHIN:g}" in text
