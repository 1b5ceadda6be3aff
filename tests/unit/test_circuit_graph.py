"""The circuit graph, greedy selection, pruning and the faithfulness size search, on constructed
inputs whose answers are known (no model)."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.catalogue.suites import PYTHIA_SHAPES
from mechanisms.measure.circuits.faithfulness import SizeSearch, curve_areas, faithfulness
from mechanisms.measure.circuits.graph import Graph, pythia_edge_count
from mechanisms.measure.circuits.selection import circuit_mask, circuit_nodes, greedy_order, prune

# Pythia size -> graph edges, the paper's (EAP-IG's Graph.from_model with parallel_attn_mlp)
PYTHIA_EDGES = {
    "70m": 3580,
    "160m": 32347,
    "410m": 231493,
    "1b": 27545,
    "1.4b": 231493,
    "2.8b": 1591857,
    "12b": 3131263,
}


@pytest.mark.parametrize("size", sorted(PYTHIA_EDGES))
def test_pythia_edge_counts_match_the_closed_form(size):
    _, layers, heads = PYTHIA_SHAPES[size]
    edges = PYTHIA_EDGES[size]
    if layers * heads <= 512:  # the mask itself (the 2.8b/12b masks are 0.5-1.3 GB of bools)
        assert Graph(layers, heads, heads, parallel=True).n_edges == edges
    assert pythia_edge_count(layers, heads) == edges


def test_parallel_blocks_have_no_edge_from_heads_to_their_own_mlp():
    parallel, sequential = Graph(2, 2, 2, True), Graph(2, 2, 2, False)
    head0, mlp0 = parallel.head(0, 0), parallel.mlp_in(0)
    assert not parallel.valid[head0, mlp0] and sequential.valid[head0, mlp0]
    assert sequential.n_edges - parallel.n_edges == 2 * 2  # two heads per layer, two layers


def test_grouped_query_attention_shares_key_and_value_inputs():
    g = Graph(n_layers=2, n_heads=6, n_kv_heads=2, parallel=False)  # SmolLM2-like groups of 3
    assert g.backward_names[g.k(0).start] == "a0.g0<k>"
    assert g.per_layer == 6 + 2 + 2 + 1
    head5 = g.head(0, 5)
    assert sorted(g.inputs_of(head5)) == [g.q(0).start + 5, g.k(0).start + 1, g.v(0).start + 1]
    # layer 1: 6 q + 2 k + 2 v inputs read 1 + 7 nodes; its MLP also reads layer 1's heads
    up = 1 + 7
    assert g.n_edges == (1 * 10 + 1 + 6) + (up * 10 + up + 6) + (1 + 2 * 7)


def _chain_scores(g: Graph) -> torch.Tensor:
    """input -> a0.h0<q> -> a1.h1<v> -> logits is strong; everything else weak."""
    scores = torch.full((g.n_forward, g.n_backward), 0.01).masked_fill(~g.valid, 0)
    scores[g.head(1, 1), g.logits] = 5.0
    scores[g.head(0, 0), g.v(1).start + 1] = -4.0  # absolute value counts
    scores[0, g.q(0).start] = 3.0
    return scores


def test_greedy_follows_the_strongest_reachable_edge_by_absolute_score():
    g = Graph(2, 2, 2, True)
    order = greedy_order(_chain_scores(g), g, cap=3)
    names = [g.edge_name(u, v) for u, v in order]
    assert names == ["a1.h1->logits", "a0.h0->a1.h1<v>", "input->a0.h0<q>"]
    mask = circuit_mask(order, 3, g)
    assert int(mask.sum()) == 3 and circuit_nodes(mask, g) == ["input", "a0.h0", "a1.h1", "logits"]


def test_pruning_drops_nodes_that_cannot_reach_both_ends():
    g = Graph(2, 2, 2, True)
    mask = torch.zeros(g.n_forward, g.n_backward, dtype=torch.bool)
    mask[g.head(1, 1), g.logits] = True  # a head with no input edge: parentless
    mask[0, g.q(0).start] = True  # an input edge into a head with no output edge: childless
    assert int(prune(mask, g).sum()) == 0
    mask[g.head(0, 0), g.q(1).start + 1] = True  # now input -> a0.h0 -> a1.h1 -> logits
    assert int(prune(mask, g).sum()) == 3


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60))
def test_greedy_circuits_are_nested_and_connected(seed, n):
    g = Graph(3, 3, 3, True)
    scores = torch.randn(g.n_forward, g.n_backward, generator=torch.Generator().manual_seed(seed))
    order = greedy_order(scores, g, cap=60)
    small, large = circuit_mask(order, n - 1, g), circuit_mask(order, n, g)
    assert bool((small <= large).all())
    assert bool((large <= g.valid).all())
    if large.any():  # every circuit reaches the logits
        assert bool(large[:, g.logits].any())


def test_size_search_finds_the_smallest_faithful_size_and_records_the_curve():
    search = SizeSearch(0.8, cap=400, faithfulness=lambda n: min(1.0, n / 100))
    assert search.smallest() == (80, True)
    assert {137, 387, 400} <= set(search.curve)  # the scan goes on to the cap, every 50


def test_size_search_looks_a_few_edges_below_a_non_monotone_crossing():
    curve = {n: (0.85 if n in (76, 77) else min(1.0, n / 100)) for n in range(0, 401)}
    assert SizeSearch(0.8, 400, curve.__getitem__).smallest() == (76, True)


def test_size_search_reports_the_cap_when_never_faithful():
    search = SizeSearch(0.8, 120, lambda n: 0.3)
    assert search.smallest() == (120, False)


def test_faithfulness_measures_and_curve_areas():
    assert faithfulness("ratio", 6.0, 8.0, -8.0) == pytest.approx(0.75)
    assert faithfulness("normalised", 6.0, 8.0, -8.0) == pytest.approx(14 / 16)
    cpr, cmd = curve_areas({50: 1.0, 100: 1.0}, n_edges=100)
    assert cpr == pytest.approx(0.75) and cmd == pytest.approx(0.25)  # 0 -> 1 over the first half


@pytest.mark.parametrize(
    ("task", "check", "message"),
    [
        ("ioi", "{metric: pair_accuracy}", "pair_accuracy"),  # no gradient: not in the enum
        ("successor", "{metric: prob_diff}", "no corrupted prompts"),
        ("ioi", "{metric: logit_diff, ig_steps: 1000}", "<= 200"),
        ("gendered_pronoun", "{metric: logit_diff, contains: {role: name_movers}}", "task 'ioi'"),
    ],
)
def test_circuit_checks_are_validated_when_the_spec_loads(task, check, message):
    from mechanisms.spec.loader import SpecError, parse_spec

    text = f"format: 1\nid: c\nversion: 1\nclaim: x\ntask: {{name: {task}}}\nchecks:\n  - circuit: {check}\n"
    with pytest.raises(SpecError, match=message):
        parse_spec(text, "c.mech.yaml")
