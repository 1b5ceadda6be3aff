"""How much of the model's task metric a circuit recovers, and the smallest circuit that
recovers enough.

Faithfulness of a circuit C, with N the full model and the empty circuit the corrupted run:

* ``ratio`` (the paper's, arXiv 2407.10827 section 3.3): m(C) / m(N);
* ``normalised``: (m(C) - m(empty)) / (m(N) - m(empty)), 0 = no better than the corrupted run.

The size search is the paper's ``get_faithfulness_metrics_adaptive``: scan greedy circuit sizes
25, 50, ... (the step halves, down to 1, once faithfulness passes 0.6); at the first size that
reaches the threshold, bisect back to the previous size for the smallest one that reaches it,
then look up to 5 edges further down (the curve is not monotone); keep scanning to the cap in
steps of 50 so the whole curve is recorded. Never reaching the threshold gives the cap (1600
edges by default, or every edge of a smaller graph), marked ``faithful: false``.

The curve's summaries follow Hanna et al. 2024 ("Have faith in faithfulness") and MIB: CPR is the
area under normalised faithfulness against the fraction of edges kept, CMD the area between it
and 1; both by the trapezoid rule over the measured sizes from the empty circuit to the largest
(docs/specs.md names the grid).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

MEASURES = ("ratio", "normalised")


@dataclass
class SizeSearch:
    threshold: float
    cap: int
    faithfulness: Callable[[int], float]  # greedy size n -> faithfulness (the search's measure)
    start: int = 25
    step: int = 25
    curve: dict[int, float] = field(default_factory=dict)

    def at(self, n: int) -> float:
        if n not in self.curve:
            self.curve[n] = self.faithfulness(n)
        return self.curve[n]

    def smallest(self) -> tuple[int, bool]:
        """The smallest greedy size reaching the threshold, and whether one did."""
        previous, n, step = 0, min(self.start, self.cap), self.step
        while True:
            score = self.at(n)
            if score >= self.threshold:
                found = self._bisect(previous, n)
                self._finish(n)
                return found, True
            if n >= self.cap:
                return self.cap, False
            if score > 0.6:
                step = max(1, step // 2)
            previous, n = n, min(n + step, self.cap)

    def _bisect(self, low: int, high: int) -> int:
        """Smallest n in (low, high] with faithfulness >= threshold, assuming the crossing is
        unique there; then up to 5 smaller sizes are tried one by one."""
        while high - low > 1:
            mid = (low + high) // 2
            if self.at(mid) >= self.threshold:
                high = mid
            else:
                low = mid
        for n in range(high - 1, max(high - 6, 0), -1):
            if self.at(n) >= self.threshold:
                high = n
        return high

    def _finish(self, reached: int) -> None:
        n = reached + 50
        while n < self.cap:
            self.at(n)
            n += 50
        self.at(self.cap)


def faithfulness(measure: str, circuit: float, full: float, empty: float) -> float:
    if measure == "ratio":
        return circuit / full if abs(full) > 1e-9 else 0.0
    gap = full - empty
    return (circuit - empty) / gap if abs(gap) > 1e-9 else 0.0


def curve_areas(normalised: dict[int, float], n_edges: int) -> tuple[float, float]:
    """``(CPR, CMD)`` of a normalised-faithfulness curve over greedy sizes (with 0 -> 0)."""
    points = sorted({0: 0.0, **normalised}.items())
    cpr = cmd = 0.0
    for (n0, f0), (n1, f1) in pairwise(points):
        width = (n1 - n0) / n_edges
        cpr += width * (f0 + f1) / 2
        cmd += width * (abs(1 - f0) + abs(1 - f1)) / 2
    return cpr, cmd
