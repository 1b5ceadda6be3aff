"""Claims over a series of cells: circuit stability across checkpoints, emergence across sizes.

Pure Python over the cells' stored results (no model, no torch), so the reports can use the
same definitions. The definitions follow the paper (arXiv 2407.10827, section 4.4 and its
repository's ``utils/data_processing.py`` and ``plotting/plot_model_task_size.ipynb``):

* Jaccard similarity of two circuits' edge (or node) sets, ``|A & B| / |A | B|``; the weighted
  form ``sum min(w_a, w_b) / sum max(w_a, w_b)`` with ``w = |score| / sum |score|`` over every
  edge of that checkpoint's graph;
* between consecutive checkpoints (the paper's figure) or against a reference checkpoint;
* optionally smoothed by an exponentially weighted moving average, ``s_t = a x_t + (1 - a)
  s_{t-1}`` started at the first value (pandas ``ewm(alpha=a, adjust=False)``), a = 0.5;
* an onset: the first checkpoint from which a claim holds at every later checkpoint.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """|A & B| / |A | B|; two empty sets share nothing (0: there is no circuit to be stable)."""
    a, b = set(a), set(b)
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def weighted_jaccard(a: dict[str, float], b: dict[str, float]) -> float:
    """sum min / sum max over the union of keys (a missing key weighs 0); 0 when both are empty."""
    keys = set(a) | set(b)
    top = sum(max(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    return sum(min(a.get(k, 0.0), b.get(k, 0.0)) for k in keys) / top if top > 0 else 0.0


def ewma(values: Sequence[float], alpha: float) -> list[float]:
    """Exponentially weighted moving average started at the first value (pandas ``adjust=False``)."""
    out: list[float] = []
    for x in values:
        out.append(x if not out else alpha * x + (1 - alpha) * out[-1])
    return out


@dataclass(frozen=True)
class CircuitAt:
    """One checkpoint's circuit: in-circuit edges with their scores, its nodes, and the sum of
    |score| over every edge of the graph (the weights' denominator). ``None`` edges: no circuit."""

    step: int
    tokens: int | None
    edges: dict[str, float] | None = None
    nodes: tuple[str, ...] = ()
    abs_score_total: float = 0.0

    def members(self, of: str) -> set[str]:
        return set(self.edges or ()) if of == "edges" else set(self.nodes if self.edges is not None else ())

    def weights(self) -> dict[str, float]:
        total = self.abs_score_total or 1.0
        return {e: abs(s) / total for e, s in (self.edges or {}).items()}


@dataclass(frozen=True)
class StabilityRule:
    of: str = "edges"  # edges | nodes
    weighted: bool = False
    compare: str = "consecutive"  # consecutive | final (the series' last checkpoint)
    ewma: float | None = None  # smoothing alpha, or None for the raw similarities
    from_step: int = 0
    min: float = 0.5


@dataclass
class Stability:
    pairs: list[dict] = field(default_factory=list)  # from, to, tokens, similarity, value
    holds: bool = False
    lowest: float | None = None
    problem: str = ""


def similarity(a: CircuitAt, b: CircuitAt, rule: StabilityRule) -> float:
    if rule.weighted:
        return weighted_jaccard(a.weights(), b.weights())
    return jaccard(a.members(rule.of), b.members(rule.of))


def stability(circuits: Sequence[CircuitAt], rule: StabilityRule) -> Stability:
    """Similarity between the circuits of checkpoints >= ``from_step`` (in step order): every
    value, smoothed where asked, must be >= ``min``. The series is cut at ``from_step`` before
    smoothing, as the paper filters checkpoints before it smooths."""
    series = sorted((c for c in circuits if c.step >= rule.from_step), key=lambda c: c.step)
    if len(series) < 2:
        return Stability(
            problem=f"needs two checkpoints from step {rule.from_step}; this run has {len(series)}"
        )
    if rule.compare == "final":
        pairs = [(c, series[-1]) for c in series[:-1]]
    else:
        pairs = list(itertools.pairwise(series))
    raw = [similarity(a, b, rule) for a, b in pairs]
    values = ewma(raw, rule.ewma) if rule.ewma else raw
    lowest = min(values)
    result = Stability(
        pairs=[
            {"from": a.step, "to": b.step, "tokens": a.tokens, "similarity": x, "value": v}
            for (a, b), x, v in zip(pairs, raw, values, strict=True)
        ],
        lowest=lowest,
    )
    missing = [c.step for c in series if c.edges is None]
    result.holds = lowest >= rule.min
    if missing:
        result.problem = f"no circuit at step {', '.join(map(str, missing))}"
    return result


def onset(holds: Sequence[bool]) -> int | None:
    """The index of the first point (in checkpoint order) from which the claim holds at every
    later one; None when it does not hold at the last."""
    first = None
    for i, ok in enumerate(holds):
        first = (first if first is not None else i) if ok else None
    return first


@dataclass
class Emergence:
    onsets: dict[str, dict | None] = field(default_factory=dict)  # size -> {step, tokens} or None
    ratio: float | None = None  # latest onset / earliest onset, in tokens
    holds: bool = False
    problem: str = ""


def emergence(
    rows: dict[str, list[tuple[int, int | None, bool]]], within: float, required: Sequence[str] = ()
) -> Emergence:
    """Onsets per size (rows: size -> [(step, tokens, holds)]) and whether they lie within a
    factor ``within`` in tokens. Sizes without an onset are reported and left out, except the
    ``required`` ones; at least two sizes must have one, and none may hold from step 0 (that is
    no emergence)."""
    result = Emergence()
    for size, row in rows.items():
        ordered = sorted(row)
        first = onset([h for _, _, h in ordered])
        result.onsets[size] = (
            None if first is None else {"step": ordered[first][0], "tokens": ordered[first][1]}
        )
    found = {s: o for s, o in result.onsets.items() if o is not None}
    never = [s for s in required if s in rows and result.onsets[s] is None]
    at_start = [s for s, o in found.items() if not o["tokens"]]
    if never:
        result.problem = f"never holds stably in {', '.join(never)}"
    elif at_start:
        result.problem = f"holds at initialisation (step 0: nothing emerges) in {', '.join(at_start)}"
    elif len(found) < 2:
        result.problem = f"needs onsets in two sizes; found {len(found)} ({', '.join(found) or 'none'})"
    else:
        tokens = [o["tokens"] for o in found.values()]
        result.ratio = max(tokens) / min(tokens)
        result.holds = result.ratio <= within
    return result
