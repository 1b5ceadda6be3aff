"""Running a circuit: the clean prompts with every edge outside the circuit patched.

An edge u -> v outside the circuit carries u's output from the corrupted run instead of the
one u computes in this run (interchange ablation with the task's own corrupted prompts, as in
the paper's ``evaluate_graph``, arXiv 2407.10827 section 3.3): v's input becomes

    in_v + sum over non-circuit u of (z'_u - z_u(this run)).

Forward hooks on the node outputs keep ``z'_u - z_u`` for the run in progress; hooks on the
node inputs add the sum for the edges that are out, in one ``einsum`` per input hook. With no
edge in the circuit the run is the corrupted run; with every edge in, it is the clean run
(``tests/model/test_circuits.py`` holds both to 1e-4).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..tasks import TaskData
from .attribution import node_first, node_outputs
from .graph import Graph
from .hooks import graph_hooks, inputs, outputs


class CircuitRunner:
    """Patched runs of one task's prompts on one model, for many circuits. ``corrupted``: the
    corrupted prompts' ``node_outputs`` (computed here when not given)."""

    def __init__(self, bridge, data: TaskData, graph: Graph, corrupted: torch.Tensor | None = None) -> None:
        self.bridge, self.data, self.graph = bridge, data, graph
        self.tokens = data.padded()
        if corrupted is None:
            with graph_hooks(bridge):
                corrupted = node_outputs(bridge, data.padded(corrupted=True), graph)
        self.corrupted = corrupted
        self.runs = 0

    def logits(self, mask: torch.Tensor, rows: range | None = None) -> torch.Tensor:
        """Logits of the clean prompts (those at ``rows``: a micro-batch) with every valid edge
        outside ``mask`` patched."""
        graph = self.graph
        tokens, corrupted = self.tokens, self.corrupted
        if rows is not None:  # a chunk pads to its own width; the corrupted outputs are sliced
            tokens = self.data.rows(rows).padded()
            corrupted = corrupted[:, rows.start : rows.stop, : tokens.shape[1]]
        patched = (graph.valid & ~mask).float().to(corrupted.device)  # [n_forward, n_backward]
        diff = torch.zeros_like(corrupted)  # [n_forward, batch, pos, d_model]

        def record(point):
            def hook(x, hook=None):
                diff[point.nodes] = corrupted[point.nodes] - node_first(x, point.per_head)
                return x

            return hook

        def patch(point):
            weights = patched[: point.upstream, point.columns].T.contiguous()  # [inputs, upstream]
            if not bool(weights.any()):
                return None

            def hook(x, hook=None):
                added = (weights @ diff[: point.upstream].flatten(1)).view(-1, *diff.shape[1:])
                return x + (added.permute(1, 2, 0, 3) if point.per_head else added[0])

            return hook

        hooks = [(p.hook, record(p)) for p in outputs(graph)]
        hooks += [(p.hook, h) for p in inputs(graph) if (h := patch(p)) is not None]
        with graph_hooks(self.bridge), torch.inference_mode():
            logits = self.bridge.run_with_hooks(tokens, fwd_hooks=hooks)
        if rows is None:  # a micro-batch is counted by ``metric``, once for all its pieces
            self.runs += 1
        return logits

    def metric(
        self, measure: Callable[[torch.Tensor, TaskData], float], mask: torch.Tensor, batch: int
    ) -> float:
        """``measure(logits, prompts)`` (a task metric: a mean over prompts) of the patched run,
        ``batch`` prompts at a time: the prompt-weighted mean of the micro-batches."""
        n = len(self.data)
        if batch >= n:
            return measure(self.logits(mask), self.data)
        total = 0.0
        for start in range(0, n, batch):
            rows = range(start, min(start + batch, n))
            total += measure(self.logits(mask, rows), self.data.rows(rows)) * len(rows)
        self.runs += 1  # one patched run of every prompt, in pieces
        return total / n
