"""The paper's circuit-based algorithm checks on zoo checkpoints (arXiv 2407.10827, 4.6 and 4.7):
the greater-than check holds where the known algorithm is present, fails on a circuit without it
(negative control), and its MLP boost matches an independent recomputation; a share inside a
circuit counts the circuit's heads only."""

from __future__ import annotations

import pytest
import torch
from typed import search, typed  # a module beside these tests

from mechanisms.measure.algorithms import greater_than_algorithm, heads_into, logit_mlps
from mechanisms.measure.checks import read_circuit, share
from mechanisms.measure.runs import task_run
from mechanisms.models.loading import boot

GT = {"n_prompts": 64, "seed": 0}
FIELDS = {"circuit": {"metric": "prob_diff"}, "min_mlp_boost": 0.2, "min_yy_attention": 0.3}


@pytest.fixture(scope="module")
def gt_520k():
    return task_run(boot("pytest-mechanisms/zoo-520k", "step2048", True), "greater_than", GT)


def test_the_greater_than_algorithm_holds_where_mlps_raise_later_years(gt_520k):
    result = greater_than_algorithm(gt_520k, typed("greater_than_algorithm", FIELDS))
    assert result.holds, result.summary
    assert result.headline.value == pytest.approx(result.values["mean_boost"])
    assert result.values["mean_boost"] > 0.2
    assert max(result.values["yy_attention"].values()) >= 0.9  # L1H0 attends to YY


def test_the_mlp_boost_matches_a_recomputation_by_hand(gt_520k):
    found, _, _ = read_circuit(gt_520k, search(FIELDS["circuit"]))
    layers = logit_mlps(found)
    names = [e["edge"] for e in found.edges() if e["in_circuit"]]
    assert {f"m{l}->logits" for l in layers} <= set(names)
    assert all(any(n.startswith(f"a{l}.h{h}->m") for n in names) for l, h in heads_into(found, layers))
    stored: dict = {}

    def keep(name):
        def hook(x, hook=None):
            stored[name] = x.clone()

        return hook

    hooks = [(f"blocks.{l}.hook_mlp_out", keep(f"blocks.{l}.hook_mlp_out")) for l in layers]
    bridge, data = gt_520k.model.bridge, gt_520k.data
    with torch.inference_mode():
        bridge.run_with_hooks(data.padded(), fwd_hooks=hooks)
    w_u = bridge.W_U.detach()
    expected = {}
    for layer in layers:
        gaps = []
        for row, end in enumerate(data.end_positions()):
            with torch.inference_mode():
                logits = stored[f"blocks.{layer}.hook_mlp_out"][row, end] @ w_u[:, data.candidates]
            later = [logits[n].item() for n in range(100) if data.flags[row][n] > 0]
            other = [logits[n].item() for n in range(100) if data.flags[row][n] < 0]
            gaps.append(sum(later) / len(later) - sum(other) / len(other))
        expected[f"m{layer}"] = sum(gaps) / len(gaps)
    measured = greater_than_algorithm(gt_520k, typed("greater_than_algorithm", FIELDS)).values["mlp_boost"]
    assert measured == pytest.approx(expected, abs=1e-3)


def test_a_circuit_without_an_mlp_into_the_logits_fails_the_algorithm():
    """zoo-520k@256 has a 3-edge circuit that copies a prior for later years: no MLP computes."""
    run = task_run(boot("pytest-mechanisms/zoo-520k", "step256", True), "greater_than", GT)
    found, _, _ = read_circuit(run, search(FIELDS["circuit"]))
    assert found is not None and not logit_mlps(found)
    result = greater_than_algorithm(run, typed("greater_than_algorithm", FIELDS))
    assert not result.holds and result.headline.value is None
    assert result.summary == "the circuit has no MLP with an edge to the logits"


def test_a_share_in_a_circuit_counts_the_circuit_heads_only():
    run = task_run(
        boot("pytest-mechanisms/zoo-890k", "step2048", True),
        "ioi",
        {"n_prompts": 32, "templates": "train", "seed": 0},
    )
    circuit = {"metric": "logit_diff", "min_metric": 1.0}
    found, _, _ = read_circuit(run, search(circuit))
    effects = run.head_scores("direct_effect").abs()
    outside = next((l, h) for l in range(4) for h in range(4) if (l, h) not in found.heads)
    inside = found.heads[0]
    fields = {"score": "direct_effect", "min": 0.0, "in_circuit": circuit}
    ids = [f"L{outside[0]}H{outside[1]}", f"L{inside[0]}H{inside[1]}"]
    result = share(run, typed("share", {**fields, "heads": [{"ids": ids}]}))
    assert result.values["total"] == pytest.approx(sum(effects[h].item() for h in found.heads))
    assert result.values["heads"] == [f"L{inside[0]}H{inside[1]}"]  # the head outside counts for nothing
    assert result.values["share"] == pytest.approx(effects[inside].item() / result.values["total"])
