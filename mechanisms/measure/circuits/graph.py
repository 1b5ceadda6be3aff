"""The computational graph a circuit is a subgraph of (arXiv 2407.10827, section 3.1).

Nodes: ``input`` (the residual stream entering block 0: token, and any position, embeddings),
every attention head ``a{l}.h{h}``, every MLP ``m{l}`` and ``logits``. An edge runs from every
upstream node to every downstream node through the residual stream; edges into a head are split
by the input they reach (``<q>``, ``<k>``, ``<v>``), so ``a0.h3->a2.h1<k>`` is one edge.

Two architecture facts change the edge set:

* parallel attention and MLP (GPT-NeoX, so Pythia and the zoo): a block's MLP reads the same
  residual stream as its heads, so no edge runs from layer l's heads to MLP l;
* grouped-query attention (SmolLM2: 9 query heads, 3 key/value heads per layer): a key/value
  input is shared by the query heads of its group, so the graph has one ``<k>`` and one ``<v>``
  input per group, named ``a{l}.g{g}<k>``; an edge into it reaches every head of the group. With
  one key/value head per query head the names are the per-head ones.

Indices: forward (upstream) nodes are ``input``, then per layer its heads and its MLP; backward
(downstream) inputs are, per layer, the query inputs, key inputs, value inputs and the MLP input,
then ``logits``. A score or circuit is a ``[n_forward, n_backward]`` matrix over these.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch


@dataclass(frozen=True)
class Graph:
    n_layers: int
    n_heads: int
    n_kv_heads: int
    parallel: bool  # attention and MLP read the same residual stream (no head -> same-layer MLP edge)

    @classmethod
    def of(cls, cfg) -> Graph:
        """The graph of a transformer_lens config (a bridge's ``cfg``)."""
        n_heads = cfg.n_heads
        return cls(
            cfg.n_layers,
            n_heads,
            getattr(cfg, "n_key_value_heads", None) or n_heads,
            bool(getattr(cfg, "parallel_attn_mlp", False)),
        )

    # forward (upstream) nodes
    @property
    def n_forward(self) -> int:
        return 1 + self.n_layers * (self.n_heads + 1)

    def head(self, layer: int, head: int) -> int:
        return 1 + layer * (self.n_heads + 1) + head

    def mlp(self, layer: int) -> int:
        return 1 + layer * (self.n_heads + 1) + self.n_heads

    def upstream_of(self, layer: int, into_mlp: bool = False) -> int:
        """How many forward nodes (a prefix of the order) can feed layer ``layer``'s inputs;
        ``layer == n_layers`` is the logits."""
        before = 1 + layer * (self.n_heads + 1)
        return before + (self.n_heads if into_mlp and not self.parallel and layer < self.n_layers else 0)

    # backward (downstream) inputs
    @property
    def per_layer(self) -> int:
        return self.n_heads + 2 * self.n_kv_heads + 1

    @property
    def n_backward(self) -> int:
        return self.n_layers * self.per_layer + 1

    def q(self, layer: int) -> slice:
        start = layer * self.per_layer
        return slice(start, start + self.n_heads)

    def k(self, layer: int) -> slice:
        start = layer * self.per_layer + self.n_heads
        return slice(start, start + self.n_kv_heads)

    def v(self, layer: int) -> slice:
        start = layer * self.per_layer + self.n_heads + self.n_kv_heads
        return slice(start, start + self.n_kv_heads)

    def mlp_in(self, layer: int) -> int:
        return layer * self.per_layer + self.per_layer - 1

    @property
    def logits(self) -> int:
        return self.n_backward - 1

    @property
    def group_size(self) -> int:
        return self.n_heads // self.n_kv_heads

    # names
    @cached_property
    def forward_names(self) -> list[str]:
        names = ["input"]
        for layer in range(self.n_layers):
            names += [f"a{layer}.h{h}" for h in range(self.n_heads)] + [f"m{layer}"]
        return names

    @cached_property
    def backward_names(self) -> list[str]:
        kv = "h" if self.n_kv_heads == self.n_heads else "g"
        names = []
        for layer in range(self.n_layers):
            names += [f"a{layer}.h{h}<q>" for h in range(self.n_heads)]
            names += [f"a{layer}.{kv}{g}<k>" for g in range(self.n_kv_heads)]
            names += [f"a{layer}.{kv}{g}<v>" for g in range(self.n_kv_heads)]
            names.append(f"m{layer}")
        return [*names, "logits"]

    def edge_name(self, upstream: int, downstream: int) -> str:
        return f"{self.forward_names[upstream]}->{self.backward_names[downstream]}"

    # structure
    @cached_property
    def valid(self) -> torch.Tensor:
        """``[n_forward, n_backward]``: True where an edge exists."""
        mask = torch.zeros(self.n_forward, self.n_backward, dtype=torch.bool)
        for layer in range(self.n_layers):
            up = self.upstream_of(layer)
            for part in (self.q(layer), self.k(layer), self.v(layer)):
                mask[:up, part] = True
            mask[: self.upstream_of(layer, into_mlp=True), self.mlp_in(layer)] = True
        mask[:, self.logits] = True
        return mask

    @property
    def n_edges(self) -> int:
        return int(self.valid.sum())

    @cached_property
    def feeds(self) -> torch.Tensor:
        """``[n_backward, n_forward]``: True where input v is an input of forward node u (a
        key/value input of a group feeds each head of the group; ``logits`` feeds none)."""
        out = torch.zeros(self.n_backward, self.n_forward, dtype=torch.bool)
        for layer in range(self.n_layers):
            for h in range(self.n_heads):
                u = self.head(layer, h)
                out[self.q(layer).start + h, u] = True
                g = h // self.group_size
                out[self.k(layer).start + g, u] = True
                out[self.v(layer).start + g, u] = True
            out[self.mlp_in(layer), self.mlp(layer)] = True
        return out

    def inputs_of(self, upstream: int) -> list[int]:
        """The backward inputs of forward node ``upstream`` (none for ``input``)."""
        return self.feeds[:, upstream].nonzero()[:, 0].tolist()

    def head_of(self, upstream: int) -> tuple[int, int] | None:
        """``(layer, head)`` of a forward node that is a head, else None."""
        if upstream == 0:
            return None
        layer, within = divmod(upstream - 1, self.n_heads + 1)
        return None if within == self.n_heads else (layer, within)


def pythia_edge_count(n_layers: int, n_heads: int) -> int:
    """Edges of a parallel-attention, multi-head graph (the paper's Pythia graphs), in closed form:
    each layer's 3H head inputs and its MLP input read every earlier node, and logits read all."""
    per_node = [1 + layer * (n_heads + 1) for layer in range(n_layers)]
    return sum(up * (3 * n_heads + 1) for up in per_node) + 1 + n_layers * (n_heads + 1)
