"""Circuits on real models: patching reproduces the clean and corrupted runs at its two ends,
EAP-IG satisfies completeness, attribution agrees with brute-force patching of single edges,
and on a model whose circuit is known by construction the search finds exactly that circuit."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typed import typed  # a module beside these tests

from mechanisms.measure.circuits.attribution import attribute
from mechanisms.measure.circuits.discovery import Settings, find_circuit
from mechanisms.measure.circuits.faithfulness import faithfulness
from mechanisms.measure.circuits.graph import Graph
from mechanisms.measure.circuits.patching import CircuitRunner
from mechanisms.measure.runs import task_run
from mechanisms.measure.tasks import TaskData
from mechanisms.models.loading import boot
from mechanisms.spec.settings import CircuitSearch

IOI = {"n_prompts": 24, "seed": 0, "templates": "train"}


@pytest.fixture(scope="module")
def zoo_ioi():
    model = boot("pytest-mechanisms/zoo-250k", "step2048", True)
    return task_run(model, "ioi", IOI)


def test_patching_every_edge_is_the_corrupted_run_and_none_the_clean_run(zoo_ioi):
    graph = Graph.of(zoo_ioi.model.bridge.cfg)
    runner = CircuitRunner(zoo_ioi.model.bridge, zoo_ioi.data, graph)
    assert torch.allclose(runner.logits(graph.valid), zoo_ioi.logits, atol=1e-4)
    empty = torch.zeros_like(graph.valid)
    assert torch.allclose(runner.logits(empty), zoo_ioi.corrupted[0], atol=1e-4)


def test_eap_ig_is_complete_on_the_input_node(zoo_ioi):
    """Integrated gradients' completeness: the input node's edges sum to the metric's change
    from corrupted to clean (every path from the input starts with one of its edges)."""
    graph = Graph.of(zoo_ioi.model.bridge.cfg)
    scores = attribute(zoo_ioi.model.bridge, zoo_ioi.data, "logit_diff", graph, steps=30)
    change = zoo_ioi.metric("logit_diff") - zoo_ioi.metric("logit_diff", zoo_ioi.corrupted[0])
    assert scores[0].sum().item() == pytest.approx(change, rel=0.02)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    def ranks(values: np.ndarray) -> np.ndarray:
        return np.argsort(np.argsort(values))

    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def _agreement(estimate: np.ndarray, truth: np.ndarray, carrying: np.ndarray) -> dict:
    error = np.abs(estimate - truth)
    return {
        "spearman_carrying": _spearman(estimate[carrying], truth[carrying]),
        "spearman_all": _spearman(estimate, truth),
        "pearson": float(np.corrcoef(estimate, truth)[0, 1]),
        "mean_error_rest": float(error[~carrying].mean()),
        "largest_disagreement": float(error.max()),
    }


def test_attribution_against_brute_force_single_edge_patching(zoo_ioi, record_property):
    """Each edge patched alone (every other edge clean) against its EAP and EAP-IG score: the
    change in L = -logit_diff. EAP-IG's linear estimate must track the real effects better.

    Ranks are compared over the edges that carry an effect (at least 1% of the largest one's):
    they decide which edges a circuit takes. The other ~90% of edges move the logit difference
    by under 0.01 on average; their ranks are ranks of noise (Spearman over every edge is
    recorded, not asserted: EAP's is the higher there, though its errors are the larger)."""
    bridge, data = zoo_ioi.model.bridge, zoo_ioi.data
    graph = Graph.of(bridge.cfg)
    runner, clean = CircuitRunner(bridge, data, graph), zoo_ioi.metric("logit_diff")
    edges = graph.valid.nonzero().tolist()
    truth_l = []
    for u, v in edges:
        mask = graph.valid.clone()
        mask[u, v] = False
        truth_l.append(clean - zoo_ioi.metric("logit_diff", runner.logits(mask)))
    truth = np.array(truth_l)
    carrying = np.abs(truth) >= 0.01 * np.abs(truth).max()
    stats = {"edges": len(edges), "carrying": int(carrying.sum())}
    for method, steps in (("eap", 1), ("eap-ig", 30)):
        scores = attribute(bridge, data, "logit_diff", graph, steps=steps)
        estimate = np.array([scores[u, v].item() for u, v in edges])
        stats[method] = _agreement(estimate, truth, carrying)
        stats[method]["worst_edge"] = graph.edge_name(*edges[int(np.abs(estimate - truth).argmax())])
    record_property("attribution_vs_brute_force", stats)
    print(stats)
    ig, eap = stats["eap-ig"], stats["eap"]
    assert carrying.sum() >= 10
    assert ig["spearman_carrying"] > max(eap["spearman_carrying"], 0.9)
    assert ig["pearson"] > eap["pearson"]
    assert ig["largest_disagreement"] < eap["largest_disagreement"]
    assert ig["mean_error_rest"] < eap["mean_error_rest"]


@pytest.fixture(scope="module")
def constructed(tmp_path_factory):
    """A 2-layer GPT-NeoX where only a0.h0 writes anything: Q = K = 0 (uniform attention), its
    V and O are random, every other head's and every MLP's output is zero. A prompt pair that
    differs in its first token can move the answer only along input -> a0.h0<v> -> logits."""
    from transformers import GPTNeoXConfig

    from mechanisms.tools.random_init import NEOX_TOKENIZER, pythia_config, write_random_like

    config = {**pythia_config("70m"), "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2}
    config["intermediate_size"] = 64
    hs = 16

    def only_a0h0(hf):  # before the bridge boots: it keeps its own split copies of Q, K, V
        for layer in hf.gpt_neox.layers:
            for linear in (layer.attention.query_key_value, layer.attention.dense, layer.mlp.dense_4h_to_h):
                linear.weight.zero_()
                linear.bias.zero_()
        first = hf.gpt_neox.layers[0].attention
        first.query_key_value.weight[2 * hs : 3 * hs] = torch.randn(hs, 32)  # head 0's V
        first.dense.weight[:, :hs] = torch.randn(32, hs)  # head 0's O

    built = tmp_path_factory.mktemp("built")
    path = write_random_like(GPTNeoXConfig(**config), NEOX_TOKENIZER, built, edit=only_a0h0)
    model = boot(str(path), None, False)
    rows = [[1000, 300 + i, 400 + i, 500] for i in range(6)]
    corrupted = [[2000, *r[1:]] for r in rows]
    with torch.inference_mode():  # the answer pair the built path moves most
        shift = (model.bridge(torch.tensor(rows)) - model.bridge(torch.tensor(corrupted)))[:, -1].mean(0)
    correct, wrong = int(shift.argmax()), int(shift.argmin())
    data = TaskData("constructed", "pair", rows, corrupted, correct=[correct] * 6, wrong=[wrong] * 6)
    run = task_run(model, "ioi", {})
    run.__dict__["data"] = data  # the constructed prompts instead of IOI's
    return run


def test_the_search_finds_exactly_the_constructed_circuit(constructed):
    graph = Graph.of(constructed.model.bridge.cfg)
    gap = constructed.metric("logit_diff") - constructed.metric("logit_diff", constructed.corrupted[0])
    assert gap > 0.2  # the built path moves the answer
    circuit = find_circuit(
        constructed,
        Settings.of(CircuitSearch(metric="logit_diff", faithfulness="normalised", threshold=0.99)),
    )
    edges = {graph.edge_name(u, v) for u, v in circuit.mask.nonzero().tolist()}
    assert edges == {"input->a0.h0<v>", "a0.h0->logits"}
    assert circuit.faithfulness == pytest.approx(1.0, abs=1e-4)
    nonzero = {graph.edge_name(u, v) for u, v in (circuit.scores.abs() > 1e-6).nonzero().tolist()}
    assert nonzero == edges  # no other edge carries anything


@pytest.mark.parametrize("removed", ["input->a0.h0<v>", "a0.h0->logits"])
def test_faithfulness_falls_when_a_constructed_edge_is_removed(constructed, removed):
    graph = Graph.of(constructed.model.bridge.cfg)
    names = {graph.edge_name(u, v): (u, v) for u, v in graph.valid.nonzero().tolist()}
    mask = graph.valid.clone()
    mask[names[removed]] = False
    runner = CircuitRunner(constructed.model.bridge, constructed.data, graph)
    patched = constructed.metric("logit_diff", runner.logits(mask))
    full, empty = constructed.metric("logit_diff"), constructed.metric("logit_diff", constructed.corrupted[0])
    assert faithfulness("normalised", patched, full, empty) == pytest.approx(0.0, abs=1e-4)
    assert faithfulness("normalised", full, full, empty) == 1.0


def test_a_circuit_check_fails_on_a_bound_the_circuit_exceeds_and_on_a_head_it_lacks(zoo_ioi):
    """Negative controls of the check itself (on a model that has the circuit)."""
    from mechanisms.measure.checks import circuit, head_name

    fits = circuit(zoo_ioi, typed("circuit", {"metric": "logit_diff", "max_edges": 400}))
    assert fits.holds and fits.headline.value == fits.values["n_edges"]
    too_small = circuit(zoo_ioi, typed("circuit", {"metric": "logit_diff", "max_edges": 2}))
    assert not too_small.holds and too_small.headline.value > 2
    graph = Graph.of(zoo_ioi.model.bridge.cfg)
    outside = next(
        head_name(l, h)
        for l in range(graph.n_layers)
        for h in range(graph.n_heads)
        if head_name(l, h) not in fits.values["heads"]
    )
    lacking = circuit(zoo_ioi, typed("circuit", {"metric": "logit_diff", "contains": {"ids": [outside]}}))
    assert not lacking.holds and lacking.headline.value is None


def test_attribution_in_batch_chunks_equals_one_batch(zoo_ioi):
    """Chunks (``batch_size``) pad to their own width and slice the shared corrupted outputs."""
    graph = Graph.of(zoo_ioi.model.bridge.cfg)
    whole = attribute(zoo_ioi.model.bridge, zoo_ioi.data, "logit_diff", graph, steps=3)
    chunked = attribute(zoo_ioi.model.bridge, zoo_ioi.data, "logit_diff", graph, steps=3, batch_size=7)
    assert torch.allclose(whole, chunked, atol=1e-4)


def test_a_small_memory_budget_attributes_in_micro_batches_with_the_same_scores(zoo_ioi):
    """Without a spec ``batch_size``, EAP-IG's prompts per pass come from the memory budget
    (``--mech-memory``); a budget that allows a few prompts gives the one-batch scores."""
    from mechanisms.measure.circuits.discovery import prompts_per_pass
    from mechanisms.measure.runs import TaskRun

    graph = Graph.of(zoo_ioi.model.bridge.cfg)
    small = TaskRun(zoo_ioi.model, "ioi", IOI)  # its own run: the fixture's keeps its budget
    small.__dict__["budget"] = 3 * (2 * small.footprint.cached) + 1  # about three prompts' worth
    batch = prompts_per_pass(small, graph)
    assert 1 <= batch < len(small.data)
    assert prompts_per_pass(zoo_ioi, graph) == len(zoo_ioi.data)  # room for every prompt: one batch
    whole = attribute(zoo_ioi.model.bridge, zoo_ioi.data, "logit_diff", graph, steps=3)
    chunked = attribute(zoo_ioi.model.bridge, zoo_ioi.data, "logit_diff", graph, steps=3, batch_size=batch)
    assert torch.allclose(whole, chunked, atol=1e-4)


def test_a_patched_run_in_micro_batches_gives_the_one_batch_metric(zoo_ioi):
    """The size search's patched runs, in pieces of a few prompts (each padded to its own width,
    the corrupted outputs sliced), give the metric of one batch."""
    from mechanisms.measure.circuits.selection import circuit_mask, greedy_order
    from mechanisms.spec import registry

    graph = Graph.of(zoo_ioi.model.bridge.cfg)
    scores = attribute(zoo_ioi.model.bridge, zoo_ioi.data, "logit_diff", graph, steps=3)
    runner = CircuitRunner(zoo_ioi.model.bridge, zoo_ioi.data, graph)
    measure = registry.METRICS["logit_diff"].load()
    mask = circuit_mask(greedy_order(scores, graph, 40), 40, graph)
    whole = runner.metric(measure, mask, len(zoo_ioi.data))
    assert whole == pytest.approx(zoo_ioi.metric("logit_diff", runner.logits(mask)), abs=1e-6)
    assert runner.metric(measure, mask, 5) == pytest.approx(whole, abs=1e-4)
    assert whole != pytest.approx(zoo_ioi.metric("logit_diff"), abs=1e-3)  # the patching did something


def test_a_circuit_found_under_a_small_memory_budget_is_the_same_circuit(zoo_ioi):
    """End to end: attribution and the size search's patched runs in micro-batches (a budget of
    about three prompts) find the circuit one batch finds, with the same faithfulness curve."""
    from mechanisms.measure.runs import TaskRun

    small = TaskRun(zoo_ioi.model, "ioi", IOI)
    small.__dict__["budget"] = 3 * (2 * small.footprint.cached) + 1
    assert not small.fits  # the micro-batch paths, not one batch
    settings = Settings.of(CircuitSearch(metric="logit_diff", ig_steps=3))
    whole, chunked = find_circuit(zoo_ioi, settings), find_circuit(small, settings)
    assert torch.equal(whole.mask, chunked.mask)
    assert whole.curve.keys() == chunked.curve.keys()
    for n, point in whole.curve.items():
        assert chunked.curve[n]["ratio"] == pytest.approx(point["ratio"], abs=1e-4)
