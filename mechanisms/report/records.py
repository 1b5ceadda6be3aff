"""A run's cell records grouped the way every report reads them: one matrix per claim.

The terminal matrices, ``report.md``, ``report.html`` and the zoo's emergence table are views of
the same ``matrices()`` and ``emergence()``, so they cannot disagree on a verdict or an onset.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from ..catalogue.checkpoints import step_label
from ..measure.series import onset
from ..record import CellRecord

EMERGES_NOTE = (
    "emerges: the first checkpoint of this run from which the claim holds at every later "
    "checkpoint of this run (checkpoints not selected are not looked at)"
)
SYMBOL = {"holds": "✓", "absent": "✗", "error": "E"}
LEGEND = "✓ holds  ✗ absent  E error  · not run  ! disagrees with the spec's expectation"


def step_key(step: int | None) -> float:
    """Checkpoint order; ``None`` (a model without checkpoints, e.g. ``--model``) sorts last."""
    return float("inf") if step is None else step


def column_label(step: int | None) -> str:
    return step_label(step).removeprefix("step")  # matrix columns: 0 128 ... final


@dataclass
class Matrix:
    """One claim on one suite: a cell record per (model, checkpoint), rows by size."""

    claim: str = ""
    version: int = 0
    cells: dict[tuple[str, int | None], CellRecord] = field(default_factory=dict)
    params: dict[str, int | None] = field(default_factory=dict)
    steps: list[int | None] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)  # models, smallest first


def matrices(records: list[CellRecord]) -> dict[tuple[str, str], Matrix]:
    """One ``Matrix`` per (spec, suite)."""
    out: defaultdict[tuple[str, str], Matrix] = defaultdict(Matrix)
    for r in records:
        m = out[(r.spec, r.suite)]
        m.cells[(r.model, r.step)] = r
        m.params[r.model] = r.params
        m.claim, m.version = r.claim, r.spec_version
    for m in out.values():
        m.steps = sorted({s for _, s in m.cells}, key=step_key)
        m.rows = sorted(m.params, key=lambda s: (m.params[s] is None, m.params[s] or 0, s))
    return dict(out)


def emergence(m: Matrix, model: str) -> tuple[int | None, int | None] | None:
    """(step, tokens) from which the claim holds at every later checkpoint of this row, else None."""
    row = [m.cells[(model, s)] for s in m.steps if (model, s) in m.cells]
    first = onset([r.outcome == "holds" for r in row])
    return None if first is None else (row[first].step, row[first].tokens)


def disagrees(record: CellRecord) -> bool:
    """The cell's verdict differs from the spec's expectation: its test failed."""
    return (
        record.outcome in ("holds", "absent")
        and record.expected is not None
        and record.holds != record.expected
    )


def cell_symbol(record: CellRecord | None) -> str:
    if record is None:
        return "·"
    return SYMBOL.get(record.outcome, "?") + ("!" if disagrees(record) else "")


def tokens_text(n: int | None) -> str:
    """``1.05M tokens``; empty when unknown."""
    if n is None:
        return ""
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit} tokens"
    return f"{n} tokens"


def onset_text(m: Matrix, model: str) -> str:
    onset = emergence(m, model)
    if onset is None:
        return "never"
    tokens = tokens_text(onset[1])
    return f"step {column_label(onset[0])}" + (f" ({tokens})" if tokens else "")


def onset_rows(m: Matrix) -> list[tuple[str, str, str]]:
    """``(model, onset step or "never", onset tokens)`` per row: the emergence table."""
    rows = []
    for model in m.rows:
        onset = emergence(m, model)
        rows.append(
            (model, "never", "") if onset is None else (model, column_label(onset[0]), tokens_text(onset[1]))
        )
    return rows


def value_text(x: float) -> str:
    """A measured value in a matrix cell: three significant digits, no exponent for big values."""
    if x != 0 and abs(x) < 0.01:
        return f"{x:.2g}"
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"


def ordered(records: list[CellRecord]) -> list[CellRecord]:
    """Records in report order: spec, suite, model size, checkpoint."""
    return sorted(records, key=lambda r: (r.spec, r.suite, r.params or 0, r.model, step_key(r.step)))
