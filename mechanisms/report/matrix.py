"""Pass/fail matrices as text: for each claim, sizes x checkpoints, and when it emerges.

Cell symbols: ``✓`` the claim holds, ``✗`` it does not, ``E`` measuring failed (for example the
model is not on this machine), ``·`` not run. A trailing ``!`` marks a cell whose result
disagrees with the spec's expectation (those are the failing tests). The emergence point is the
first checkpoint from which the claim holds at every later checkpoint of the run, in steps and
in tokens. The terminal shows these; ``matrix.md`` holds the same tables in Markdown.
"""

from collections.abc import Sequence

from ..record import CellRecord, SeriesRecord
from .escape import md_text, terminal_text
from .records import EMERGES_NOTE, LEGEND, Matrix, cell_symbol, column_label, matrices, onset_text
from .series import markdown_table


def render_matrix(key: tuple[str, str], m: Matrix) -> list[str]:
    spec, suite = key
    names = {model: terminal_text(model) for model in m.rows}
    width = max(len(name) for name in names.values()) + 2
    cols = [column_label(s) for s in m.steps]
    colw = [max(len(c), 2) + 1 for c in cols]
    lines = [
        terminal_text(f"{spec} v{m.version} [{suite}]: {m.claim}"),
        "step".rjust(width) + "".join(c.rjust(w) for c, w in zip(cols, colw)) + "   emerges",
    ]
    for model in m.rows:
        cells = "".join(cell_symbol(m.cells.get((model, s))).rjust(w) for s, w in zip(m.steps, colw))
        lines.append(names[model].rjust(width) + cells + "   " + onset_text(m, model))
    return lines


def render_matrices(records: list[CellRecord]) -> list[str]:
    lines = []
    for key, m in sorted(matrices(records).items()):
        lines += render_matrix(key, m) + [""]
    return lines + [LEGEND, EMERGES_NOTE]


def matrix_table(m: Matrix) -> list[str]:
    """One claim's matrix as a Markdown table."""
    lines = ["| model | " + " | ".join(column_label(s) for s in m.steps) + " | emerges |"]
    lines.append("|---" * (len(m.steps) + 2) + "|")
    for model in m.rows:
        cells = " | ".join(cell_symbol(m.cells.get((model, s))) for s in m.steps)
        lines.append(f"| {md_text(model)} | {cells} | {onset_text(m, model)} |")
    return lines


def markdown(records: list[CellRecord], series: Sequence[SeriesRecord] = ()) -> str:
    parts = ["# Mechanism matrices", ""]
    for (spec, suite), m in sorted(matrices(records).items()):
        parts += ["## " + md_text(f"{spec} v{m.version} ({suite})"), "", md_text(m.claim), ""]
        parts += matrix_table(m) + [""]
    parts.append(EMERGES_NOTE[0].upper() + EMERGES_NOTE[1:] + ".")
    if series:
        parts += ["", "## Across cells", "", *markdown_table(list(series))]
    return "\n".join(parts)
