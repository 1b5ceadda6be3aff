"""Where the graph's nodes live on a ``TransformerBridge``: the hook points that carry each
forward node's output and each backward node's input, and the gated hooks they need.

Outputs: ``blocks.0.hook_resid_pre`` (input), ``blocks.l.attn.hook_result`` (every head's
output, ``[batch, pos, heads, d_model]``; the output bias is shared by clean and corrupted runs
and so belongs to no edge), ``blocks.l.hook_mlp_out``. Inputs: ``blocks.l.attn.hook_{q,k,v}_input``
(a residual-stream copy per head, or per key/value group, before the layer norm),
``blocks.l.hook_mlp_in`` and, for ``logits``, ``blocks.{L-1}.hook_resid_post``. transformer_lens
4 gates the per-head hooks off by default (``set_use_attn_result``, ``set_use_split_qkv_input``,
``set_use_hook_mlp_in``); ``graph_hooks`` turns them on for one measurement and restores them,
since they slow every other forward pass on the shared model.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from .graph import Graph

FLAGS = (
    ("use_attn_result", "set_use_attn_result"),
    ("use_split_qkv_input", "set_use_split_qkv_input"),
    ("use_hook_mlp_in", "set_use_hook_mlp_in"),
)


@contextlib.contextmanager
def graph_hooks(bridge) -> Iterator[None]:
    before = {flag: bool(getattr(bridge.cfg, flag, False)) for flag, _ in FLAGS}
    for flag, setter in FLAGS:
        if not before[flag]:
            getattr(bridge, setter)(True)
    try:
        yield
    finally:
        for flag, setter in FLAGS:
            if not before[flag]:
                getattr(bridge, setter)(False)


@dataclass(frozen=True)
class Output:
    hook: str
    nodes: slice  # forward indices, in the order of the hook's node axis (or one node)
    per_head: bool  # the activation has a node axis (heads)


@dataclass(frozen=True)
class Input:
    hook: str
    columns: slice  # backward indices
    upstream: int  # forward nodes [0, upstream) may feed it
    per_head: bool


def outputs(graph: Graph) -> list[Output]:
    points = [Output("blocks.0.hook_resid_pre", slice(0, 1), False)]
    for layer in range(graph.n_layers):
        first = graph.head(layer, 0)
        points.append(Output(f"blocks.{layer}.attn.hook_result", slice(first, first + graph.n_heads), True))
        points.append(
            Output(f"blocks.{layer}.hook_mlp_out", slice(graph.mlp(layer), graph.mlp(layer) + 1), False)
        )
    return points


def inputs(graph: Graph) -> list[Input]:
    points = []
    for layer in range(graph.n_layers):
        up = graph.upstream_of(layer)
        for part, columns in (("q", graph.q(layer)), ("k", graph.k(layer)), ("v", graph.v(layer))):
            points.append(Input(f"blocks.{layer}.attn.hook_{part}_input", columns, up, True))
        mlp = graph.mlp_in(layer)
        points.append(
            Input(f"blocks.{layer}.hook_mlp_in", slice(mlp, mlp + 1), graph.upstream_of(layer, True), False)
        )
    last = f"blocks.{graph.n_layers - 1}.hook_resid_post"
    points.append(Input(last, slice(graph.logits, graph.logits + 1), graph.n_forward, False))
    return points


def missing_hooks(bridge, graph: Graph) -> list[str]:
    names = [p.hook for p in outputs(graph)] + [p.hook for p in inputs(graph)]
    return [n for n in names if n not in bridge.hook_dict]
