"""Choosing a circuit from edge scores: greedy growth from the logits, then pruning dead nodes.

Greedy selection follows the paper (arXiv 2407.10827, section 3.3; EAP-IG's ``apply_greedy``
with ``absolute=True``): start from ``logits`` alone; repeatedly add the edge with the largest
absolute score among the edges whose downstream node is already in the circuit; an edge whose
upstream node is new brings that node's incoming edges into the candidates. The order in which
edges join is computed once, so the circuit of n edges is a prefix of the circuit of n + 1
(before pruning), and a size search costs one selection.

Pruning removes nodes that cannot carry a signal from ``input`` to ``logits`` (no outgoing
circuit edge, or no incoming one), and their edges, until nothing changes. Patching such an
edge or keeping it gives the same circuit output, so pruning changes counts, not faithfulness.
"""

from __future__ import annotations

import heapq

import torch

from .graph import Graph


def greedy_order(scores: torch.Tensor, graph: Graph, cap: int) -> list[tuple[int, int]]:
    """Up to ``cap`` edges ``(upstream, downstream)`` in the order greedy selection adds them."""
    strength = scores.abs().masked_fill(~graph.valid, -1.0).tolist()
    valid = graph.valid.tolist()
    heap: list[tuple[float, int, int]] = []
    pushed: set[int] = set()

    def offer(downstream: int) -> None:
        if downstream in pushed:
            return
        pushed.add(downstream)
        for upstream in range(graph.n_forward):
            if valid[upstream][downstream]:
                heapq.heappush(heap, (-strength[upstream][downstream], upstream, downstream))

    offer(graph.logits)
    in_circuit: set[int] = set()
    order: list[tuple[int, int]] = []
    while heap and len(order) < cap:
        _, upstream, downstream = heapq.heappop(heap)
        order.append((upstream, downstream))
        if upstream not in in_circuit:
            in_circuit.add(upstream)
            for downstream_input in graph.inputs_of(upstream):
                offer(downstream_input)
    return order


def circuit_mask(order: list[tuple[int, int]], n: int, graph: Graph) -> torch.Tensor:
    """``[n_forward, n_backward]`` mask of the first ``n`` greedy edges, pruned."""
    mask = torch.zeros(graph.n_forward, graph.n_backward, dtype=torch.bool)
    if n:
        up, down = zip(*order[:n], strict=True)
        mask[list(up), list(down)] = True
    return prune(mask, graph)


def prune(mask: torch.Tensor, graph: Graph) -> torch.Tensor:
    """Drop edges of nodes without children (their inputs' edges) or without parents (their
    outgoing edges), repeatedly; ``input`` needs no parent and ``logits`` no child."""
    mask = mask.clone()
    feeds = graph.feeds
    while True:
        before = int(mask.sum())
        has_children = mask.any(1)  # [n_forward]
        alive_inputs = (feeds & has_children[None, :]).any(1)  # [n_backward]
        alive_inputs[graph.logits] = True
        mask &= alive_inputs[None, :]
        has_parents = (feeds & mask.any(0)[:, None]).any(0)  # [n_forward]
        has_parents[0] = True
        mask &= has_parents[:, None]
        if int(mask.sum()) == before:
            return mask


def circuit_nodes(mask: torch.Tensor, graph: Graph) -> list[str]:
    """Forward nodes with an outgoing circuit edge, and ``logits`` if it has an incoming one."""
    names = [graph.forward_names[u] for u in mask.any(1).nonzero()[:, 0].tolist()]
    return names + (["logits"] if bool(mask[:, graph.logits].any()) else [])


def circuit_heads(mask: torch.Tensor, graph: Graph) -> list[tuple[int, int]]:
    """``(layer, head)`` of every head in the circuit."""
    heads = (graph.head_of(u) for u in mask.any(1).nonzero()[:, 0].tolist())
    return [h for h in heads if h is not None]
