"""``report.md``: the HTML report's content for a pull-request comment or a CI job summary:
per claim the matrix with each cell's headline value, the curves as SVG files next to it
(``curves/``), and the emergence table."""

from __future__ import annotations

from .curves import shown_headline
from .escape import md_text
from .records import EMERGES_NOTE, LEGEND, cell_symbol, column_label, matrices, onset_rows, value_text
from .series import markdown_table
from .summary import gate_tables


def render(records: list[dict], images: dict[tuple, str], run: dict | None = None) -> str:
    """``images``: ``{(spec, suite, check index): path relative to report.md}``."""
    parts = ["# Mechanism report", "", _run_line(run or {}, len(records)), "", LEGEND + ".", ""]
    gate = gate_tables(records)
    if gate:
        parts += [gate, ""]
    for key, m in sorted(matrices(records).items()):
        spec, suite = key
        parts += ["## " + md_text(f"{spec} v{m['version']} ({suite})"), "", md_text(m["claim"]), ""]
        parts += _value_table(m) + [""]
        for (s, u, _), path in sorted(images.items()):
            if (s, u) == key:
                parts += [f"![{md_text(spec)}: curve]({path})", ""]  # path: files._safe names
        parts += _emergence_table(m) + [""]
    parts.append(EMERGES_NOTE[0].upper() + EMERGES_NOTE[1:] + ".")
    series = (run or {}).get("series")
    if series:
        parts += ["", "## Across cells", "", *markdown_table(series)]
    return "\n".join(parts) + "\n"


def _run_line(run: dict, n: int) -> str:
    sources = run.get("sources") or [run]
    commands = "; ".join(md_text(" ".join(s.get("command", []))) for s in sources)
    complete = all(s.get("complete", True) for s in sources)
    crashed = [nodeid for s in sources for nodeid in s.get("worker_crashed_on", [])]
    line = f"{n} cells from {commands}" + ("" if complete else " (INCOMPLETE: some cells did not run)")
    return line + (md_text(f"; a worker crashed while running {', '.join(crashed)}") if crashed else "")


def _value_table(m: dict) -> list[str]:
    """The matrix, each cell its verdict symbol and a headline value (``shown_headline``)."""
    lines = ["| model | " + " | ".join(column_label(s) for s in m["steps"]) + " |"]
    lines.append("|---" * (len(m["steps"]) + 1) + "|")
    for model in m["rows"]:
        cells = []
        for step in m["steps"]:
            record = m["cells"].get((model, step))
            line = shown_headline(record)
            value = "" if not line or line.get("value") is None else f" {value_text(line['value'])}"
            cells.append(cell_symbol(record) + value)
        lines.append(f"| {md_text(model)} | " + " | ".join(cells) + " |")
    return lines


def _emergence_table(m: dict) -> list[str]:
    lines = ["| size | emerges at step | tokens |", "|---|---|---|"]
    return lines + [f"| {md_text(model)} | {step} | {tokens} |" for model, step, tokens in onset_rows(m)]
