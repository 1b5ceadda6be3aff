"""A circuit drawn as SVG, in the style of the paper's Fig. 4A (arXiv 2407.10827): the circuit's
nodes in rows by layer, ``input`` at the bottom and ``logits`` at the top, and its edges as
curves coloured by the input they reach (a head's query, key or value, or an MLP / the logits),
as wide as their attribution score is large, dashed where the score is negative.

Only the circuit is drawn (a Pythia graph has thousands of nodes; a circuit tens), from the
artifact a circuit check saves (``circuits/<spec>/<cell>.json``). Plain SVG text written here,
without matplotlib: small enough to inline every circuit of a run into ``report.html``, and byte
for byte the same for the same artifact. Hovering an edge or node shows its name and score.
"""

from __future__ import annotations

import html
import re

WIDTH = 420
ROW = 54  # pixels between layer rows
MARGIN = 22
COLOURS = {"q": "#7b1fa2", "k": "#2e7d32", "v": "#1565c0", "": "#616161"}
OFFSET = {"q": -9, "k": 0, "v": 9, "": 0}  # where on a head's box each input arrives
LEGEND = (("q", "query"), ("k", "key"), ("v", "value"), ("", "MLP / logits"))

_TARGET = re.compile(r"^(?P<node>.+?)(?:<(?P<part>[qkv])>)?$")


def split_edge(name: str) -> tuple[str, str, str]:
    """``'a0.h3->a2.h1<k>'`` -> ``('a0.h3', 'a2.h1', 'k')``; a grouped key/value input
    (``a3.g1<v>``) stays a node of its own: it feeds every head of its group."""
    upstream, target = name.split("->")
    match = _TARGET.match(target)
    assert match is not None
    return upstream, match["node"], match["part"] or ""


def row_of(node: str, parallel: bool, n_layers: int) -> float:
    """A node's height in layers: input 0, layer l's heads l + 1, its MLP l + 1 (parallel
    blocks, as GPT-NeoX) or l + 1.5 (an MLP that reads its layer's heads), logits on top."""
    if node == "input":
        return 0.0
    if node == "logits":
        return n_layers + 1.0
    if node.startswith("m"):
        return int(node[1:]) + (1.0 if parallel else 1.5)
    return int(node[1:].split(".")[0]) + 1.0


def _order(node: str) -> tuple[int, int]:
    """Within a row: heads by index, then key/value groups, then the MLP."""
    if node.startswith("a"):
        kind, index = node.split(".")[1][0], int(node.split(".")[1][1:])
        return (0 if kind == "h" else 1, index)
    return (2, 0)


def layout(nodes: set[str], parallel: bool, n_layers: int) -> dict[str, tuple[int, int]]:
    """``{node: (x, y)}``: rows from the bottom, each row's nodes spread evenly across."""
    rows: dict[float, list[str]] = {}
    for node in nodes:
        rows.setdefault(row_of(node, parallel, n_layers), []).append(node)
    heights = sorted(rows)
    top = MARGIN + 14
    place = {}
    for rank, height in enumerate(reversed(heights)):
        members = sorted(rows[height], key=_order)
        step = (WIDTH - 2 * MARGIN) / len(members)
        for i, node in enumerate(members):
            place[node] = (round(MARGIN + step * (i + 0.5)), top + rank * ROW)
    return place


def circuit_svg(document: dict) -> str | None:
    """The circuit of one artifact as SVG text (None: the artifact has no circuit edge)."""
    graph = document.get("graph", {})
    edges = [(split_edge(e["edge"]), e["score"]) for e in document.get("edges", []) if e.get("in_circuit")]
    if not edges:
        return None
    nodes = {n for (u, v, _), _ in edges for n in (u, v)}
    place = layout(nodes, bool(graph.get("parallel_attn_mlp", True)), int(graph.get("layers", 0)))
    height = max(y for _, y in place.values()) + MARGIN + 40
    largest = max(abs(score) for _, score in edges) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="circuit" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="system-ui,sans-serif" font-size="10">',
        f'<text x="4" y="12" fill="#333">{html.escape(_caption(document))}</text>',
    ]
    for (u, v, part), score in sorted(edges, key=lambda e: abs(e[1])):  # strongest drawn last
        parts.append(
            _edge(place[u], place[v], part, score, largest, f"{u}->{v}{f'<{part}>' if part else ''}")
        )
    parts += [_node(name, xy) for name, xy in sorted(place.items())]
    parts.append(_legend(height))
    parts.append("</svg>")
    return "\n".join(parts)


def _caption(document: dict) -> str:
    where = f"{document.get('model', '')}@{document.get('revision', '')}".strip("@")
    return (
        f"{where}: {document.get('n_edges', 0)} edges, {len(document.get('nodes', []))} nodes, "
        f"faithfulness {document.get('faithfulness', 0):.2f}"
    )


def _edge(
    start: tuple[int, int], end: tuple[int, int], part: str, score: float, largest: float, name: str
) -> str:
    (x1, y1), (x2, y2) = start, end
    x2 += OFFSET[part]
    bend = max(abs(y1 - y2) * 0.45, 18)
    width = 0.6 + 4.4 * abs(score) / largest
    dash = ' stroke-dasharray="4 3"' if score < 0 else ""
    return (
        f'<path d="M{x1},{y1 - 8} C{x1},{round(y1 - 8 - bend)} {x2},{round(y2 + 8 + bend)} {x2},{y2 + 8}" '
        f'fill="none" stroke="{COLOURS[part]}" stroke-opacity="0.7" stroke-width="{width:.1f}"{dash}>'
        f"<title>{html.escape(' -> '.join(display_name(n) for n in name.split('->')))}: {score:+.3g}</title></path>"
    )


def display_name(node: str) -> str:
    """A graph node as the rest of the report names it: head ``a1.h0`` is ``L1H0`` (as in each
    check's values); MLPs (``m1``), the input and the logits keep their graph names."""
    return re.sub(r"^a(\d+)\.h(\d+)", r"L\1H\2", node)


def _node(name: str, xy: tuple[int, int]) -> str:
    x, y = xy
    fill = {"i": "#fff8e1", "l": "#fff8e1", "m": "#e8f5e9"}.get(name[0], "#e3f2fd")
    shown = display_name(name)
    label = html.escape(shown)
    w = 8 + 6 * len(shown)
    return (
        f'<g><title>{label}</title><rect x="{x - w // 2}" y="{y - 8}" width="{w}" height="16" rx="3" '
        f'fill="{fill}" stroke="#455a64" stroke-width="0.8"/>'
        f'<text x="{x}" y="{y + 4}" text-anchor="middle">{label}</text></g>'
    )


def _legend(height: int) -> str:
    items = []
    for i, (part, text) in enumerate(LEGEND):
        x = 6 + i * 92
        items.append(
            f'<line x1="{x}" y1="{height - 10}" x2="{x + 18}" y2="{height - 10}" stroke="{COLOURS[part]}" stroke-width="3"/>'
            f'<text x="{x + 22}" y="{height - 6}" fill="#333">{text}</text>'
        )
    items.append(
        f'<text x="{WIDTH - 4}" y="{height - 22}" text-anchor="end" fill="#57606a">'
        "width: |score|; dashed: negative</text>"
    )
    return "".join(items)
