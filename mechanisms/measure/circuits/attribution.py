"""Edge attribution patching: EAP and EAP-IG scores for every edge of the graph at once.

An edge u -> v is scored by the first-order change in the loss when v's input receives u's
corrupted output instead of its clean one (Syed et al. 2023; Hanna et al. 2024):

    score(u -> v) = (z'_u - z_u) . dL/d(in_v),    L = -metric (the metric's bad direction)

averaged over prompts. EAP takes the gradient once, on the clean prompts. EAP-IG ("EAP-IG-
inputs", the paper's method, arXiv 2407.10827 section 3.2) averages it over ``steps`` points on
the straight line from the corrupted to the clean input embeddings, ``z' + (k/m)(z - z')`` for
k = 1..m, as the paper's formula writes it (its code's grid runs from the clean end instead,
k/m of the way to the corrupted input: the two grids differ by one endpoint; docs/specs.md).

Vectorised: one forward/backward pass per step and batch chunk, whatever the edge count. The
forward hooks of the node inputs register tensor hooks that, during backward, multiply the
gradient into the stored output differences of every upstream node in one ``einsum``. Only
this module turns gradients on (and only for activations: parameters stay frozen).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from ...spec import registry
from ..tasks import TaskData
from .graph import Graph
from .hooks import Input, graph_hooks, inputs, outputs


class AttributionError(ValueError):
    """The task's prompts cannot be attributed (unequal clean/corrupted lengths, no metric)."""


def node_outputs(bridge, tokens: torch.Tensor, graph: Graph) -> torch.Tensor:
    """``[n_forward, batch, pos, d_model]``: every forward node's output on ``tokens`` (node
    first, so that the outputs of the nodes upstream of a layer are one contiguous block)."""
    batch, width = tokens.shape
    out = torch.empty(graph.n_forward, batch, width, bridge.cfg.d_model, device=device_of(bridge))
    fired = set()

    def keep(point):
        def hook(x, hook=None):
            out[point.nodes] = node_first(x.detach(), point.per_head)
            fired.add(point.hook)
            return x

        return hook

    points = outputs(graph)
    with torch.no_grad():
        bridge.run_with_hooks(tokens, fwd_hooks=[(p.hook, keep(p)) for p in points])
    silent = [p.hook for p in points if p.hook not in fired]
    if silent:
        raise RuntimeError(f"graph hooks never fired (gated or renamed?): {silent}")
    return out


def device_of(bridge) -> torch.device:
    return next(bridge.parameters()).device


def node_first(x: torch.Tensor, per_head: bool) -> torch.Tensor:
    """``[batch, pos, nodes, d]`` (or ``[batch, pos, d]``) as ``[nodes, batch, pos, d]``."""
    return x.permute(2, 0, 1, 3) if per_head else x[None]


@contextlib.contextmanager
def frozen_parameters(bridge) -> Iterator[None]:
    """Gradients for activations only: parameter gradients are never needed here."""
    params = [p for p in bridge.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def loss_fn(metric: str):
    """``per-prompt metric -> summed loss``: the metric's bad direction (L = -metric for a
    higher-is-better metric, the paper's choice)."""
    entry = registry.METRICS[metric]
    if not entry.per_prompt:
        raise AttributionError(
            f"metric {metric!r} has no gradient (it counts); attribute with a graded metric"
        )
    per_prompt = registry.load(entry.per_prompt)
    sign = 1.0 if entry.lower_is_better else -1.0
    return lambda logits, data: sign * per_prompt(logits, data).sum()


def check_pairs(data: TaskData) -> None:
    if data.corrupted is None:
        raise AttributionError(f"task {data.name!r} has no corrupted prompts to attribute against")
    unequal = [
        i for i, (a, b) in enumerate(zip(data.tokens, data.corrupted, strict=True)) if len(a) != len(b)
    ]
    if unequal:
        raise AttributionError(
            f"task {data.name!r}: clean and corrupted prompts {unequal[:5]} differ in token length; "
            "edge attribution interpolates them position by position"
        )


def attribute(
    bridge,
    data: TaskData,
    metric: str,
    graph: Graph,
    steps: int = 30,
    batch_size: int | None = None,
    corrupted: torch.Tensor | None = None,
) -> torch.Tensor:
    """``[n_forward, n_backward]`` edge scores (zero where no edge exists). ``steps=1`` is EAP
    (the gradient at the clean input), more is EAP-IG. ``corrupted``: the corrupted prompts'
    ``node_outputs``, when the caller has them (circuit evaluation needs them too)."""
    check_pairs(data)
    loss = loss_fn(metric)
    scores = torch.zeros(graph.n_forward, graph.n_backward, device=device_of(bridge))
    chunk = batch_size or len(data)
    with graph_hooks(bridge), frozen_parameters(bridge):
        if corrupted is None:
            corrupted = node_outputs(bridge, data.padded(corrupted=True), graph)
        for start in range(0, len(data), chunk):
            rows = range(start, min(start + chunk, len(data)))
            part = data.rows(rows)
            width = max(len(t) for t in part.tokens)
            _accumulate(
                bridge, part, graph, steps, loss, scores, corrupted[:, rows.start : rows.stop, :width]
            )
    scores /= steps * len(data)
    return scores.masked_fill(~graph.valid.to(scores.device), 0.0)


def _accumulate(
    bridge, data: TaskData, graph: Graph, steps: int, loss, scores: torch.Tensor, corrupted: torch.Tensor
) -> None:
    clean_tokens = data.padded()
    clean = node_outputs(bridge, clean_tokens, graph)
    delta = (corrupted - clean).flatten(1)  # [n_forward, batch * pos * d_model]
    embed_clean, embed_corrupted = clean[0], corrupted[0]
    del clean, corrupted
    points = inputs(graph)
    for k in range(1, steps + 1):
        alpha = k / steps
        embedding = (embed_corrupted + alpha * (embed_clean - embed_corrupted)).requires_grad_(True)
        hooks = [("blocks.0.hook_resid_pre", lambda x, hook=None, e=embedding: e)]
        hooks += [(p.hook, _gradient_reader(p, delta, scores)) for p in points]
        logits = bridge.run_with_hooks(clean_tokens, fwd_hooks=hooks)
        loss(logits, data).backward()


def _gradient_reader(point: Input, delta: torch.Tensor, scores: torch.Tensor):
    upstream = delta[: point.upstream]  # [upstream, batch * pos * d_model], contiguous

    def hook(x, hook=None):
        if not x.requires_grad:
            return x
        # A view of its own: the tensor a hook receives can be the residual stream itself (a
        # parallel block's MLP input is), whose gradient also holds every other branch's.
        x = x.view_as(x)

        def read(grad):
            g = node_first(grad.float(), point.per_head).flatten(1)  # [inputs, batch * pos * d]
            scores[: point.upstream, point.columns] += upstream @ g.T

        x.register_hook(read)
        return x

    return hook
