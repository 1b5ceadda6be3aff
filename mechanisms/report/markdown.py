"""``report.md``: the HTML report's content for a pull-request comment or a CI job summary:
per claim the matrix with each cell's headline value, the curves as SVG files next to it
(``curves/``), and the emergence table."""

from __future__ import annotations

from ..record import Results
from .curves import shown_headline
from .escape import md_text
from .records import EMERGES_NOTE, LEGEND, Matrix, cell_symbol, column_label, matrices, onset_rows, value_text
from .series import markdown_table
from .summary import gate_tables


def render(results: Results, images: dict[tuple, str]) -> str:
    """``images``: ``{(spec, suite, check index): path relative to report.md}``."""
    records = results.cells
    parts = ["# Mechanism report", "", _run_line(results, len(records)), "", LEGEND + ".", ""]
    gate = gate_tables(records)
    if gate:
        parts += [gate, ""]
    for key, m in sorted(matrices(records).items()):
        spec, suite = key
        parts += ["## " + md_text(f"{spec} v{m.version} ({suite})"), "", md_text(m.claim), ""]
        parts += _value_table(m) + [""]
        for (s, u, _), path in sorted(images.items()):
            if (s, u) == key:
                parts += [f"![{md_text(spec)}: curve]({path})", ""]  # path: files._safe names
        parts += _emergence_table(m) + [""]
    parts.append(EMERGES_NOTE[0].upper() + EMERGES_NOTE[1:] + ".")
    if results.series:
        parts += ["", "## Across cells", "", *markdown_table(results.series)]
    return "\n".join(parts) + "\n"


def _run_line(results: Results, n: int) -> str:
    sources = results.runs()
    commands = "; ".join(md_text(" ".join(s.command)) for s in sources)
    complete = all(s.complete is not False for s in sources)
    crashed = [nodeid for s in sources for nodeid in s.worker_crashed_on]
    line = f"{n} cells from {commands}" + ("" if complete else " (INCOMPLETE: some cells did not run)")
    return line + (md_text(f"; a worker crashed while running {', '.join(crashed)}") if crashed else "")


def _value_table(m: Matrix) -> list[str]:
    """The matrix, each cell its verdict symbol and a headline value (``shown_headline``)."""
    lines = ["| model | " + " | ".join(column_label(s) for s in m.steps) + " |"]
    lines.append("|---" * (len(m.steps) + 1) + "|")
    for model in m.rows:
        cells = []
        for step in m.steps:
            record = m.cells.get((model, step))
            line = shown_headline(record)
            value = "" if line is None or line.value is None else f" {value_text(line.value)}"
            cells.append(cell_symbol(record) + value)
        lines.append(f"| {md_text(model)} | " + " | ".join(cells) + " |")
    return lines


def _emergence_table(m: Matrix) -> list[str]:
    lines = ["| size | emerges at step | tokens |", "|---|---|---|"]
    return lines + [f"| {md_text(model)} | {step} | {tokens} |" for model, step, tokens in onset_rows(m)]
