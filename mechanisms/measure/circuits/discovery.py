"""A task's circuit on one model: attribute every edge, grow greedy circuits, pick the smallest
faithful one, and keep what a report or a later run needs (the artifact).

One ``Circuit`` per task run and settings: checks of several specs that ask for the same circuit
(same task, metric, method, steps, measure, threshold, cap) share it, as they share forward
passes. Everything except attribution runs under ``torch.inference_mode()``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from ...spec import registry
from .attribution import attribute, node_outputs
from .faithfulness import SizeSearch, curve_areas, faithfulness
from .graph import Graph
from .hooks import graph_hooks
from .patching import CircuitRunner
from .selection import circuit_heads, circuit_mask, circuit_nodes, greedy_order

if TYPE_CHECKING:
    from ...spec.settings import CircuitSearch
    from ..runs import TaskRun


@dataclass(frozen=True)
class Settings:
    """What of a spec's circuit settings changes the search: the key circuits are shared by.
    Built from the spec's ``CircuitSearch`` (``of``), whose defaults are the only ones."""

    metric: str
    method: str
    steps: int
    measure: str
    threshold: float
    cap: int
    batch_size: int | None

    @classmethod
    def of(cls, search: CircuitSearch) -> Settings:
        """What of a spec's circuit settings changes the search (EAP integrates in one step)."""
        return cls(
            search.metric,
            search.method,
            1 if search.method == "eap" else search.ig_steps,
            search.faithfulness,
            search.threshold,
            search.cap,
            search.batch_size,
        )


@dataclass
class Circuit:
    graph: Graph
    settings: Settings
    scores: torch.Tensor  # [n_forward, n_backward]
    mask: torch.Tensor  # the chosen circuit, pruned
    greedy_size: int  # edges greedy selection added before pruning
    faithful: bool  # the threshold was reached within the cap
    full: float  # metric of the model (every edge in)
    empty: float  # metric with every edge patched (the corrupted run)
    value: float  # metric of the chosen circuit
    curve: dict = field(default_factory=dict)  # greedy size -> {edges, ratio, normalised}
    cpr: float = 0.0
    cmd: float = 0.0
    seconds: dict = field(default_factory=dict)

    @property
    def n_edges(self) -> int:
        return int(self.mask.sum())

    @property
    def nodes(self) -> list[str]:
        return circuit_nodes(self.mask, self.graph)

    @property
    def heads(self) -> list[tuple[int, int]]:
        return circuit_heads(self.mask, self.graph)

    @property
    def faithfulness(self) -> float:
        return faithfulness(self.settings.measure, self.value, self.full, self.empty)

    def edges(self, limit: int | None = None) -> list[dict]:
        """Edges by |score|, with their score and whether they are in the circuit (the
        ``limit`` strongest and every circuit edge, when a limit is given)."""
        valid = self.graph.valid.nonzero()
        scores = self.scores[valid[:, 0], valid[:, 1]]
        in_circuit = self.mask[valid[:, 0], valid[:, 1]]
        order = scores.abs().argsort(descending=True, stable=True)
        if limit is not None:
            keep = torch.zeros_like(in_circuit)
            keep[order[:limit]] = True
            order = order[(keep | in_circuit)[order]]
        return [
            {"edge": self.graph.edge_name(u, v), "score": round(score, 6), "in_circuit": flag}
            for (u, v), score, flag in zip(
                valid[order].tolist(), scores[order].tolist(), in_circuit[order].tolist(), strict=True
            )
        ]


def prompts_per_pass(run: TaskRun, graph: Graph, backward: bool = True) -> int:
    """Prompts per EAP-IG pass (``backward``) or patched run under the run's memory budget
    (``--mech-memory``): an EAP-IG pass keeps one forward pass's activations for the backward
    pass, their gradients, and the clean and corrupted outputs of every graph node; a patched
    run one forward pass and the difference of every node's output. No score or metric depends
    on it (tested)."""
    from ..budget import FLOAT_BYTES, micro_batch

    width = max(len(row) for row in run.data.tokens)
    node = graph.n_forward * width * run.model.bridge.cfg.d_model * FLOAT_BYTES
    per_prompt = 2 * run.footprint.cached + 2 * node if backward else run.footprint.cached + node
    return micro_batch(per_prompt, run.budget, len(run.data))


def find_circuit(run: TaskRun, settings: Settings) -> Circuit:
    """The smallest faithful greedy circuit of ``run``'s task (cached on the run)."""
    cached = run.circuits.get(settings)
    if cached is None:
        cached = run.circuits[settings] = _discover(run, settings)
    return cached


def _discover(run: TaskRun, settings: Settings) -> Circuit:
    bridge = run.model.bridge
    with graph_hooks(bridge):  # on once for the whole search, not per patched run
        return _search(run, settings, Graph.of(bridge.cfg))


def _search(run: TaskRun, settings: Settings, graph: Graph) -> Circuit:
    bridge, data = run.model.bridge, run.data
    started = time.perf_counter()
    corrupted = node_outputs(bridge, data.padded(corrupted=True), graph)  # attribution and patching
    batch = settings.batch_size or prompts_per_pass(run, graph)
    scores = attribute(bridge, data, settings.metric, graph, settings.steps, batch, corrupted)
    attributed = time.perf_counter()
    cap = min(settings.cap, graph.n_edges)
    order = greedy_order(scores, graph, cap)
    runner = CircuitRunner(bridge, data, graph, corrupted)
    measure = registry.METRICS[settings.metric].load()
    patch_batch = settings.batch_size or prompts_per_pass(run, graph, backward=False)
    full = run.metric(settings.metric)
    if run.fits:
        empty = run.metric(settings.metric, run.corrupted[0])
    else:  # the circuit with no edge is the corrupted run (tested), here in micro-batches
        no_edges = torch.zeros_like(graph.valid, dtype=torch.bool)
        empty = runner.metric(measure, no_edges, patch_batch)
    values: dict[int, float] = {}
    masks: dict[int, torch.Tensor] = {}

    def value_at(n: int) -> float:
        masks[n] = circuit_mask(order, n, graph)
        values[n] = runner.metric(measure, masks[n], patch_batch)
        return faithfulness(settings.measure, values[n], full, empty)

    search = SizeSearch(settings.threshold, cap, value_at)
    size, faithful = search.smallest()
    normalised = {n: faithfulness("normalised", v, full, empty) for n, v in values.items()}
    cpr, cmd = curve_areas(normalised, graph.n_edges)
    curve = {
        n: {
            "edges": int(masks[n].sum()),
            "ratio": faithfulness("ratio", values[n], full, empty),
            "normalised": normalised[n],
        }
        for n in sorted(values)
    }
    return Circuit(
        graph,
        settings,
        scores,
        masks[size],
        size,
        faithful,
        full,
        empty,
        values[size],
        curve,
        cpr,
        cmd,
        {
            "attribution": round(attributed - started, 3),
            "search": round(time.perf_counter() - attributed, 3),
            "patched_runs": runner.runs,
        },
    )


def artifact(circuit: Circuit, edge_limit: int = 5000) -> dict:
    """The circuit as JSON: settings, metric values, the faithfulness curve, every edge's score
    (the ``edge_limit`` strongest, plus every circuit edge, on larger graphs) and in-circuit flags."""
    graph, s = circuit.graph, circuit.settings
    return {
        "graph": {
            "layers": graph.n_layers,
            "heads": graph.n_heads,
            "kv_heads": graph.n_kv_heads,
            "parallel_attn_mlp": graph.parallel,
            "edges": graph.n_edges,
        },
        "settings": {
            "metric": s.metric,
            "method": s.method,
            "ig_steps": s.steps,
            "faithfulness": s.measure,
            "threshold": s.threshold,
            "cap": s.cap,
        },
        "metric": {"full": circuit.full, "empty": circuit.empty, "circuit": circuit.value},
        "faithful": circuit.faithful,
        "faithfulness": circuit.faithfulness,
        "greedy_size": circuit.greedy_size,
        "n_edges": circuit.n_edges,
        "nodes": circuit.nodes,
        "curve": {str(n): point for n, point in circuit.curve.items()},
        "cpr": circuit.cpr,
        "cmd": circuit.cmd,
        "seconds": circuit.seconds,
        "abs_score_total": float(circuit.scores[graph.valid].abs().sum()),  # weighted Jaccard's denominator
        "edges": circuit.edges(edge_limit if graph.n_edges > edge_limit else None),
    }
